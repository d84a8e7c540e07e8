"""Fuzzing with hypothesis: whatever arrives — config text, signature headers, an import file, an HTTP request —
hooktui answers with its own errors, never a crash or an unexpected exception. (The expression language has its
own property in test_expressions.py.)"""

from __future__ import annotations

import asyncio
import json
import string
from urllib.parse import quote

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hookdeck_tui.config import parse_config
from hookdeck_tui.config.loader import check_config_text
from hookdeck_tui.console import Console
from hookdeck_tui.forge.overrides import OverrideError, apply
from hookdeck_tui.roundtrip import check_callback
from hookdeck_tui.signatures import SCHEMES, STATUSES, SchemeOptions, SignedRequest, get_scheme, verify_request
from hookdeck_tui.store import EventFilter, FilterError, Store
from hookdeck_tui.store.exchange import ExchangeError, read_events

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])
KEYS = ["listener", "listeners", "gateway", "gateways", "components", "workflow", "workflows", "type", "port",
        "host", "path", "method", "identify_by", "status", "success_when", "fail_when", "result", "bulk", "item",
        "callbacks", "base_path", "verify", "forward", "respond", "scheme", "secret", "driver", "jobs", "id",
        "component", "input", "output", "depends_on", "http-callback", "http-trigger", "capture", "http-tunnel",
        "ssh-tunnel", "connection", "auth", "max_concurrent_count", "${body.x}", "${env.HOME}", "${", "}"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-70000, 70000), st.floats(allow_nan=False),
                    st.sampled_from(KEYS), st.text(max_size=12))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)),
    max_leaves=25)


@FUZZ
@given(data=documents)
def test_config_shapes_give_problems_with_locations_never_exceptions(data: object) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    config, problems = check_config_text(text, "fuzz.yaml")
    assert (config is None) == any(p.severity == "error" for p in problems)
    for problem in problems:
        assert str(problem).startswith("fuzz.yaml")


@FUZZ
@given(text=st.text(max_size=300) | st.lists(st.sampled_from(KEYS + [":", " ", "\n", "- ", "  ", "{", "[", "&a",
                                                                      "*a", "!!python/object", "\t", "'", '"']),
                                              max_size=40).map("".join))
def test_config_text_never_raises(text: str) -> None:
    config, problems = check_config_text(text, "fuzz.yaml")
    assert config is not None or problems


header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=120) | \
    st.lists(st.sampled_from(["t=", "v1=", "v0=", ",", "sha256=", "sha1=", "whsec_", "v1,", " ", "=", "0", "a",
                              "ff" * 16, "1700000000", "=="]), max_size=12).map("".join)


@FUZZ
@given(scheme=st.sampled_from([s for s in SCHEMES if s != "hmac"]), value=header_values, stamp=header_values,
       body=st.binary(max_size=200), secret=st.text(max_size=40))
def test_every_signature_parser_gives_a_verdict(scheme: str, value: str, stamp: str, body: bytes,
                                                secret: str) -> None:
    chosen = get_scheme(scheme)
    headers = [(name, value) for name in chosen.headers] + [(n, stamp) for n in (
        "X-Slack-Request-Timestamp", "webhook-timestamp", "webhook-id", "X-Signature-Timestamp", "mr-timestamp",
        "Twitch-Eventsub-Message-Timestamp", "Twitch-Eventsub-Message-Id", "Linear-Timestamp")]
    verdict = verify_request(SignedRequest(body, headers, "https://example.test/hook?a=1"), scheme=scheme,
                             secrets=[secret] if secret else [])
    assert verdict.status in STATUSES and verdict.reason
    detected = verify_request(SignedRequest(body, headers), secrets=[secret])
    assert detected.status in STATUSES


@FUZZ
@given(header=st.text(alphabet=string.ascii_letters + "-", min_size=1, max_size=20), value=header_values,
       prefix=st.text(max_size=8), template=st.text(max_size=30), body=st.binary(max_size=100))
def test_generic_hmac_with_any_options_gives_a_verdict(header: str, value: str, prefix: str, template: str,
                                                       body: bytes) -> None:
    options = SchemeOptions(header=header, prefix=prefix, signed_content=template or None)
    try:
        scheme = get_scheme("hmac", options)
    except Exception as exc:
        assert type(exc).__name__ == "SchemeError", exc
        return
    verdict = verify_request(SignedRequest(body, [(header, value)]), scheme=scheme, secrets=["k"])
    assert verdict.status in STATUSES


har_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
    st.sampled_from(["log", "entries", "request", "method", "url", "headers", "name", "value", "postData", "text",
                     "encoding", "base64", "mimeType", "startedDateTime", "_hooktui", "queryString", "body",
                     "body_base64", "received_at", "path", "id"]), inner, max_size=6)), max_leaves=30)


@FUZZ
@given(document=har_values)
def test_import_raises_only_its_own_error(document: object, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("imports")
    for name, text in (("f.har", json.dumps({"log": {"entries": [document]}})), ("g.har", json.dumps(document)),
                       ("h.ndjson", json.dumps(document) + "\n{")):
        path = folder / name
        path.write_text(text)
        try:
            for event in read_events(path):
                assert isinstance(event.body, bytes) and event.origin == "import"
        except ExchangeError as exc:
            assert str(exc).startswith(str(path))


@FUZZ
@given(query=st.text(max_size=60))
def test_filters_parse_or_say_why(query: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    try:
        filters = EventFilter.parse(query)
    except FilterError:
        return
    with Store(tmp_path_factory.mktemp("filters") / "f.db") as store:
        assert store.count(filters) == 0  # the SQL it builds runs


@FUZZ
@given(body=documents, sets=st.lists(st.text(max_size=20), max_size=4))
def test_set_overrides_apply_or_say_why(body: object, sets: list[str]) -> None:
    try:
        apply(json.loads(json.dumps(body)), sets)
    except OverrideError as exc:
        assert str(exc).startswith("--set ")


@FUZZ
@given(body=st.binary(max_size=200) | documents.map(lambda d: json.dumps(d).encode()),
       auth=st.text(max_size=30), sent=documents)
def test_callback_checks_never_raise(body: bytes, auth: str, sent: object) -> None:
    check = check_callback(sent, [("Authorization", auth)], body, "key")
    assert check.outcome in ("completed", "failed", "invalid") and check.auth in ("ok", "missing", "wrong")


# every method the HTTP parser (httptools, uvicorn's fast one) knows; one it does not know gets a 400 from the
# parser before any application code runs (see the junk test below)
methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PURGE", "PROPFIND", "REPORT",
                           "MKCOL", "LOCK", "SEARCH", "LINK", "UNLINK", "SUBSCRIBE", "NOTIFY"])
paths = st.lists(st.text(max_size=12), max_size=4).map(  # any text, percent-encoded as a client sends it
    lambda parts: "/" + "/".join(quote(part, safe="!$&'()*+,;=:@") for part in parts))
header_lists = st.lists(st.tuples(st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1,
                                          max_size=20),
                                  st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255,
                                                                 exclude_characters="\x7f"), max_size=60)),
                        max_size=8)

LISTENER = """
listeners:
  - type: http-callback
    port: 0
    path: /cb
    identify_by: ${body.task_id}
    status: ${body.status}
    success_when: [ok]
  - type: http-trigger
    port: 0
    path: /go
    workflow: w
    input: {x: "${body.a.b[0]}", q: "${query.x}", h: "${header.X-Thing}"}
  - {type: capture, port: 0}
components: {note: {type: logger, message: "${input.x}"}}
workflow: {id: w, jobs: [{id: j, component: note}]}
"""


@pytest.fixture(scope="module")
def fuzz_console(tmp_path_factory: pytest.TempPathFactory):
    loop = asyncio.new_event_loop()
    store = Store(tmp_path_factory.mktemp("listener") / "fuzz.db")
    console = Console(parse_config(LISTENER, "fuzz.yaml"), store, inspection_port=None)
    loop.run_until_complete(console.start())
    yield loop, console
    loop.run_until_complete(console.stop())
    loop.close()
    store.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(listener=st.integers(0, 2), method=methods, path=paths | st.sampled_from(["/cb", "/go", "/_hooktui/x"]),
       query=st.text(alphabet=string.ascii_letters + string.digits + "=&%+-_.~[]$", max_size=20), headers=header_lists,
       body=st.binary(max_size=300) | documents.map(lambda d: json.dumps(d).encode()))
@example(listener=1, method="POST", path="/go", query="", headers=[], body=b"")  # an unsigned trigger without JSON
def test_the_listener_answers_and_captures_whatever_arrives(fuzz_console, listener: int, method: str, path: str,
                                                           query: str, headers: list, body: bytes) -> None:
    loop, console = fuzz_console

    async def send() -> tuple[int, dict[str, str]]:
        """Raw bytes on a socket: no client library tidies the request up first."""
        host, port = console.servers[listener].host, console.servers[listener].port
        target = path.encode("utf-8") + (b"?" + query.encode() if query else b"")
        lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: fuzz", b"Connection: close",
                 b"Content-Length: " + str(len(sent)).encode()]
        lines += [name.encode() + b": " + value.strip().encode("latin-1") for name, value in headers
                  if name.lower() not in ("host", "content-length", "connection", "transfer-encoding")]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + sent)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        fields = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
        return int(head[0].split()[1]), {k.lower(): v for k, v in fields.items()}

    sent = body if method != "HEAD" else b""
    status, answer = loop.run_until_complete(send())
    assert status in (200, 400, 401, 404, 405, 409, 413, 415, 422, 503), status
    event_id = answer.get("x-hooktui-event")
    assert event_id is not None, (status, answer)
    event = console.store.get(int(event_id))
    assert event.method == method and event.body == sent and event.path == path


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(min_size=1, max_size=200))
def test_bytes_that_are_not_http_get_a_400_and_the_listener_keeps_serving(fuzz_console, junk: bytes) -> None:
    loop, console = fuzz_console

    async def exchange(data: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(console.servers[2].host, console.servers[2].port)
        writer.write(data)
        await writer.drain()
        try:
            return await asyncio.wait_for(reader.read(200), 5)
        finally:
            writer.close()

    answer = loop.run_until_complete(exchange(b"\x01" + junk + b"\r\n\r\n"))
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
    unknown = loop.run_until_complete(exchange(b"BREW /pot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    assert unknown.startswith(b"HTTP/1.1 400")
    again = loop.run_until_complete(exchange(b"GET /still-up HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    assert again.startswith(b"HTTP/1.1 200")
