"""The ${...} language: every construct, its errors, and that arbitrary input only ever raises
ExpressionError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hookdeck_tui.expressions import (
    ExpressionError,
    Scope,
    Template,
    Unavailable,
    compile_value,
    render,
)
from hookdeck_tui.source_location import SourceLocation

BODY = {
    "task_id": "task-123",
    "status": "completed",
    "output": {"url": "https://example.com/r.png", "width": 1024, "original_size": 5000, "compressed_size": 1200},
    "results": [{"task_id": "t1", "data": {"url": "u1"}}, {"task_id": "t2", "data": {"url": "u2"}}],
    "weird key": 7,
    "flag": True,
    "processing_time_ms": 120,
    "queue_time_ms": 30.5,
}


@pytest.fixture
def scope() -> Scope:
    return Scope(
        {
            "body": BODY,
            "query": {"task_id": "q-1", "mode": "test"},
            "header": {"X-Request-Id": "req-9", "Content-Type": "application/json"},
            "input": {"prompt": "a cat", "size": None},
            "jobs": {"process-message": {"output": {"result": "positive"}}, "generate": {"output": {"n": 3}}},
            "context": {"run_id": "run-1", "timestamp": 1700000000},
            "env": {"TOKEN": "abc"},
        },
        gateway_resolver=lambda port: {"public_url": "https://abc.trycloudflare.com", "port": port}
        if port == 8090 else None,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${body.task_id}", "task-123"),
        ("${body.output.width}", 1024),  # a lone expression keeps its type
        ("${body.flag}", True),
        ("${body.output}", BODY["output"]),
        ("${body.results[0].data.url}", "u1"),
        ("${body.results[-1].task_id}", "t2"),
        ("${body['weird key']}", 7),
        ('${body["weird key"]}', 7),
        ("${query.task_id}", "q-1"),
        ("${header.X-Request-Id}", "req-9"),
        ("${header.x-request-id}", "req-9"),  # header names are case-insensitive
        ("${header.CONTENT-TYPE}", "application/json"),
        ("${jobs.process-message.output.result}", "positive"),  # `-` inside a name is part of the name
        ("${context.run_id}", "run-1"),
        ("${env.TOKEN}", "abc"),
        ("${gateway:8090.public_url}", "https://abc.trycloudflare.com"),
        ("${gateway:8090.port}", 8090),
        ("${body.missing}", None),
        ("${body.results[5]}", None),
        ('${input.size | "1024x1024"}', "1024x1024"),
        ('${input.prompt | "x"}', "a cat"),
        ('${input.nope | body.nope | "last"}', "last"),  # chained defaults
        ("${input.nope | ${query.mode}}", "test"),  # nested expression as a default
        ("${gateway:9999.public_url | \"http://localhost:8090\"}", "http://localhost:8090"),
        ("${body.output.original_size - body.output.compressed_size}", 3800),
        ("${body.processing_time_ms + body.queue_time_ms}", 150.5),
        ("${body.output.width * 2}", 2048),
        ("${body.output.width / 4}", 256),
        ("${body.output.width / 1000}", 1.024),
        ("${(body.output.width + 1) * 2}", 2050),
        ("${2 + 3 * 4}", 14),
        ("${-body.output.width}", -1024),
        ("${body.output.width - -1}", 1025),
        ("${true}", True),
        ("${null}", None),
        ("${'lit'}", "lit"),
        ("Processing complete: ${jobs.process-message.output.result}", "Processing complete: positive"),
        ("${gateway:8090.public_url}/webhooks/image/completed",
         "https://abc.trycloudflare.com/webhooks/image/completed"),
        ("w=${body.output.width}", "w=1024"),  # embedded: stringified
        ("flag=${body.flag} none=${body.missing}", "flag=true none="),
        ("r=${body.results[0].data}", 'r={"url":"u1"}'),
        ("$${body.task_id} is literal", "${body.task_id} is literal"),
        ("no expressions", "no expressions"),
    ],
)
def test_renders(scope: Scope, text: str, expected: object) -> None:
    assert render(text, scope) == expected


def test_hyphen_with_spaces_is_subtraction_without_is_a_name(scope: Scope) -> None:
    s = scope.with_sources(body={"a": 10, "b": 4, "a-b": "name"})
    assert render("${body.a - body.b}", s) == 6
    assert render("${body.a-b}", s) == "name"


def test_item_source_in_a_child_scope(scope: Scope) -> None:
    results = render("${body.results}", scope)
    assert [render("${item.task_id}", scope.with_sources(item=item)) for item in results] == ["t1", "t2"]


def test_lazy_sources_are_read_once_and_failures_are_unavailable() -> None:
    calls = []

    def body() -> dict:
        calls.append(1)
        return {"a": 1}

    s = Scope({"body": body})
    assert render("${body.a} ${body.a}", s) == "1 1"
    assert calls == [1]

    def broken() -> dict:
        raise ValueError("Expecting value: line 1 column 1 (char 0)")

    with pytest.raises(Unavailable, match="`body` could not be read: Expecting value"):
        render("${body.a}", Scope({"body": broken}))
    assert render('${body.a | "fallback"}', Scope({"body": broken})) == "fallback"


def test_env_defaults_to_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKTUI_TEST_VALUE", "from-env")
    assert render("${env.HOOKTUI_TEST_VALUE}", Scope()) == "from-env"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${bdy.x}", "unknown source `bdy`"),
        ("${body.", "expected a name after `.`"),
        ("${body.a +}", "unexpected `}`"),
        ("${", "expected a value but the expression ended"),
        ("${body.a", "expected `}` but found the end of the text"),
        ("${body[x]}", "expected an integer index or a quoted key"),
        ("${body[0}", "expected `]`"),
        ("${'open}", "unterminated string"),
        ("${gateway.public_url}", "a gateway is named by its port"),
        ("${(body.a}", "expected `)`"),
        ("${" + "9" * 5000 + "}", "number too long"),
        ("${" + "(" * 200 + "1" + ")" * 200 + "}", "nested too deeply"),
    ],
)
def test_syntax_errors_name_the_expression_and_location(text: str, message: str) -> None:
    where = SourceLocation("conf.yaml", 7, 15, ("listener", "identify_by"))
    with pytest.raises(ExpressionError) as caught:
        Template(text, where)
    assert message in caught.value.message
    assert caught.value.location == where
    assert str(caught.value).startswith("conf.yaml:7:15: listener.identify_by: ")
    assert "(in `" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${input.nope - body.output.width}", "arithmetic needs numbers, but `input.nope` is null (missing)"),
        ("${body.task_id * 2}", "arithmetic needs numbers, but `body.task_id` is str 'task-123'"),
        ("${body.flag + 1}", "`body.flag` is bool"),
        ("${body.output.width / 0}", "division by zero"),
        ("${" + "9" * 400 + " + 1.5}", "arithmetic overflow"),
        ("${gateway:9999.public_url}", "no gateway is configured on port 9999"),
        ("${response.x}", "`response` is not available here"),
    ],
)
def test_evaluation_errors(scope: Scope, text: str, message: str) -> None:
    template = Template(text, SourceLocation("c.yaml", 3, 4, ("components", "x", "body")))
    with pytest.raises(ExpressionError) as caught:
        template.render(scope)
    assert message in str(caught.value)
    assert str(caught.value).startswith("c.yaml:3:4: components.x.body: ")


def test_gateway_without_a_tunnel_manager_is_a_clear_error() -> None:
    with pytest.raises(Unavailable, match="no gateway on port 8090"):
        render("${gateway:8090.public_url}", Scope())


def test_compile_value_renders_nested_structures_and_reports_references(scope: Scope) -> None:
    compiled = compile_value({
        "url": "${gateway:8090.public_url}/cb",
        "size": '${input.size | "1024x1024"}',
        "list": ["${body.status}", 5, {"deep": "${jobs.generate.output.n}"}],
        "plain": "text",
    })
    assert compiled.render(scope) == {
        "url": "https://abc.trycloudflare.com/cb", "size": "1024x1024",
        "list": ["completed", 5, {"deep": 3}], "plain": "text",
    }
    refs = {(r.source, r.keys[:1], r.port) for r in compiled.references()}
    assert ("gateway", ("public_url",), 8090) in refs
    assert ("jobs", ("generate",), None) in refs
    assert compiled.raw["url"] == "${gateway:8090.public_url}/cb"


def test_compile_value_locates_each_string() -> None:
    def locate(path: tuple) -> SourceLocation:
        return SourceLocation("f.yaml", len(path), 1, path)

    with pytest.raises(ExpressionError) as caught:
        compile_value({"a": {"b": ["ok", "${bad source}"]}}, locate, ("root",))
    assert caught.value.location.key_path == ("root", "a", "b", 1)


# --- property-based: arbitrary input never raises anything but ExpressionError ----------------------------

_FRAGMENTS = st.sampled_from([
    "${", "}", "body", "input", "header", "gateway:", "8090", ".", "[", "]", "-1", "0", "|", "+", "-", "*", "/",
    "(", ")", '"', "'", " ", "x-y", "$${", "\\", "task_id", "results", "jobs", "null", "1e999", "9" * 30, "1.5",
    "9" * 5000,
])
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=600, deadline=None)
@given(text=st.one_of(st.text(max_size=60), st.lists(_FRAGMENTS, max_size=25).map("".join)), data=_VALUES)
def test_arbitrary_text_only_raises_expression_error(text: str, data: object) -> None:
    scope = Scope({"body": data, "input": data, "header": {"a": data}, "jobs": {"x": data}},
                  gateway_resolver=lambda port: {"public_url": data} if port % 2 else None)
    try:
        Template(text).render(scope)
    except ExpressionError:
        pass


@settings(max_examples=200, deadline=None)
@given(a=st.integers(-10**6, 10**6), b=st.integers(-10**6, 10**6))
def test_arithmetic_matches_python(a: int, b: int) -> None:
    s = Scope({"body": {"a": a, "b": b}})
    assert render("${body.a + body.b}", s) == a + b
    assert render("${body.a - body.b}", s) == a - b
    assert render("${body.a * body.b}", s) == a * b
    if b:
        assert render("${body.a / body.b}", s) == pytest.approx(a / b)
