"""Config loading beyond model-compose's examples: defaults, normal forms, env substitution and every
kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookdeck_tui.config import BUILTIN_LABEL, ConfigError, check_config_text, load_config, parse_config
from hookdeck_tui.expressions import Scope


def errors_of(text: str) -> list[str]:
    config, problems = check_config_text(text, "c.yaml")
    assert config is None, "expected the config to be rejected"
    return [str(p) for p in problems if p.severity == "error"]


def test_builtin_default_when_no_file(tmp_path: Path) -> None:
    config = load_config(None, cwd=tmp_path)
    assert config.source == BUILTIN_LABEL and config.is_builtin_default
    (listener,) = config.listeners
    assert (listener.type, listener.host, listener.port) == ("capture", "127.0.0.1", 8090)
    (route,) = listener.routes
    assert route.methods is None and route.path == "/"
    assert (route.respond.status, route.respond.body) == (200, {"received": True})


def test_hooktui_yaml_in_the_working_directory_wins_over_the_default(tmp_path: Path) -> None:
    (tmp_path / "hooktui.yaml").write_text("listener: {type: capture, port: 9001}\n")
    config = load_config(None, cwd=tmp_path)
    assert config.source.endswith("hooktui.yaml")
    assert config.listeners[0].port == 9001


def test_several_listeners_with_type_default_ports() -> None:
    config = parse_config("""
listeners:
  - type: http-callback
    callbacks: [{path: /cb}]
  - type: http-trigger
    path: /t
    workflow: w
  - type: capture
    port: 9000
    methods: [post, put]
workflows:
  w:
    jobs: [{component: logger, input: {message: hi}}]
""", "c.yaml")
    assert [(lst.type, lst.port, lst.host) for lst in config.listeners] == [
        ("http-callback", 8090, "127.0.0.1"), ("http-trigger", 8091, "127.0.0.1"), ("capture", 9000, "127.0.0.1")]
    assert config.listeners[2].routes[0].methods == ("POST", "PUT")
    assert config.listeners[1].routes[0].label == "trigger POST /t → w"


def test_base_path_joins_routes_and_callback_defaults() -> None:
    config = parse_config("""
listener:
  type: http-callback
  base_path: /hooks/
  callbacks:
    - path: /a
    - {path: /b, method: put, bulk: true, item: "${body.results}", identify_by: "${item.id}"}
""", "c.yaml")
    a, b = config.listeners[0].routes
    assert (a.path, a.methods, a.spec.identify_by.raw) == ("/hooks/a", ("POST",), "__callback__")
    assert (b.path, b.methods, b.spec.bulk) == ("/hooks/b", ("PUT",), True)
    items = b.spec.item.render(Scope({"body": {"results": [{"id": 1}, {"id": 2}]}}))
    assert [b.spec.identify_by.render(Scope({"item": item})) for item in items] == [1, 2]


def test_extensions_verify_forward_respond_route_overrides_listener() -> None:
    config = parse_config("""
listener:
  type: http-callback
  verify: {scheme: modelriver, secret: s1, secrets: [s0]}
  forward: http://localhost:4000
  respond: app
  callbacks:
    - path: /a
    - path: /b
      verify: {scheme: github, secret: gh}
      forward: [{url: "http://localhost:5000", path_prefix: /b, retries: 2}]
      respond: {status: 202, body: {ok: 1}}
""", "c.yaml")
    a, b = config.listeners[0].routes
    assert a.verify.scheme == "modelriver" and a.verify.all_secrets == ["s1", "s0"]
    assert [t.url for t in a.forward] == ["http://localhost:4000"] and a.respond == "app"
    assert b.verify.scheme == "github"
    assert (b.forward[0].url, b.forward[0].retries) == ("http://localhost:5000", 2)
    assert (b.respond.status, b.respond.body) == (202, {"ok": 1})


def test_env_substitution_in_plain_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HT_PORT", "9123")
    monkeypatch.setenv("HT_SECRET", "whsec_x")
    monkeypatch.delenv("HT_MISSING", raising=False)
    config, problems = check_config_text("""
listener:
  type: capture
  port: ${env.HT_PORT}
  host: ${env.HT_MISSING | "127.0.0.1"}
  verify: {scheme: svix, secret: "${env.HT_SECRET}"}
""", "c.yaml")
    assert config is not None, problems
    assert config.listeners[0].port == 9123
    assert config.listeners[0].host == "127.0.0.1"
    assert config.listeners[0].routes[0].verify.secret == "whsec_x"
    assert problems == []


def test_unset_env_in_a_typed_field_is_an_error_that_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HT_NOPE", raising=False)
    config, problems = check_config_text("listener: {type: capture, port: '${env.HT_NOPE}'}\n", "c.yaml")
    assert config is None
    warning, error = sorted((str(p) for p in problems), key=lambda t: "warning" not in t)
    assert warning.startswith("c.yaml:1:33: listener.port: warning: environment variable HT_NOPE is not set")
    assert error.startswith("c.yaml:1:33: listener.port: Input should be a valid integer")
    assert error.endswith("the environment variable it names is not set")


def test_many_mistakes_are_all_reported_with_positions() -> None:
    errors = errors_of("""\
listener:
  type: http-callback
  port: abc
  path: /cb
  identfy_by: ${body.id}
  method: "GE T"
  respond: {status: 999}
  forward: [http://localhost:3000, {url: x, retries: -1}]
  verify: {scheme: githb}
gateway: {type: http-tunnel, driver: cloudfare, port: 8090}
extra: 1
""")
    assert errors == [
        "c.yaml:3:9: listener.port: Input should be a valid integer, unable to parse string as an integer (got `abc`)",
        "c.yaml:5:3: listener.identfy_by: unknown key `identfy_by` (did you mean `identify_by`?)",
        "c.yaml:6:11: listener.method: `GE T` is not an HTTP method",
        "c.yaml:7:21: listener.respond.status: `999` is not an answer: a status 100-599, `hang` or `reset`",
        "c.yaml:8:54: listener.forward[1].retries: Input should be greater than or equal to 0 (got `-1`)",
        "c.yaml:10:38: gateway.driver: `cloudfare` is not allowed (did you mean `cloudflare`?): "
        "'cloudflare' or 'ngrok'",
        "c.yaml:11:1: extra: unknown section `extra`",
    ]


def test_workflow_graph_mistakes() -> None:
    errors = errors_of("""\
components:
  c: {type: http-client, endpoint: "http://localhost:1/x"}
workflows:
  w:
    jobs:
      - {id: a, component: c, depends_on: [b]}
      - {id: b, component: c, depends_on: [a], input: {x: "${jobs.nope.output}", y: "${body.x}"}}
      - {id: c, component: cc, depends_on: [zz]}
      - {id: a, component: c}
""")
    assert errors == [
        "c.yaml:6:43: workflows.w.jobs[0].depends_on: jobs depend on each other in a cycle: a → b → a",
        "c.yaml:7:59: workflows.w.jobs[1].input.x: `jobs.nope.output` names job `nope`, which is not in workflow `w`",
        "c.yaml:7:85: workflows.w.jobs[1].input.y: `body.x`: `body` is not available in a workflow job "
        "(use input, output, jobs, context, env)",
        "c.yaml:8:28: workflows.w.jobs[2].component: component `cc` is not defined (components: c; built in: logger)",
        "c.yaml:8:45: workflows.w.jobs[2].depends_on[0]: job `zz` does not exist in workflow `w`",
        "c.yaml:9:14: workflows.w.jobs[3].id: job id `a` is used twice in workflow `w`",
    ]


def test_route_and_reference_mistakes() -> None:
    errors = errors_of("""\
listener:
  type: http-callback
  base_path: /x
  callbacks:
    - {path: /a, result: "${item.x}"}
    - {path: /a}
    - {path: /b, status: "${body.s}", success_when: [ok], identify_by: "${response.id}"}
    - {path: /c, bulk: true}
    - {path: /d, success_when: [done]}
components:
  svc:
    type: http-client
    endpoint: "${gateway:8091.public_url}/hook"
""")
    assert errors == [
        "c.yaml:5:26: listener.callbacks[0].result: `item.x` reads `item`, which exists only with `bulk: true`",
        "c.yaml:6:14: listener.callbacks[1].path: POST /x/a is already routed by listener.callbacks[0]",
        "c.yaml:7:72: listener.callbacks[2].identify_by: `response.id`: `response` is not available in a listener "
        "route (use body, query, header)",
        "c.yaml:8:7: listener.callbacks[3]: `bulk: true` needs `item:` (e.g. `item: ${body.results}`)",
        "c.yaml:9:7: listener.callbacks[4]: `success_when`/`fail_when` need `status:` (e.g. `status: ${body.status}`)",
        "c.yaml:13:15: components.svc.endpoint: `gateway:8091.public_url` needs a gateway on port 8091 "
        "(gateway ports: none are configured)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("listener:\n  type: [\n", "c.yaml:3:1: (top level): YAML syntax: while parsing a flow node expected the "
                                   "node content, but found '<stream end>'"),
        ("- 1\n", "c.yaml:1:1: (top level): a config is a mapping of sections"),
        ("listener:\n  type: capture\n  type: capture\n", "c.yaml:3:3: listener.type: duplicate key `type`"),
        ("listener: {type: webhook}\n", "c.yaml:1:18: listener.type: unknown listener type `webhook`"),
        ("listener: {type: http-callback}\n", "c.yaml:1:11: listener.path: missing required key `path` (or a "
                                              "`callbacks:` list of routes)"),
        ("listener: {type: http-callback, path: /a, callbacks: [{path: /b}]}\n",
         "c.yaml:1:54: listener.callbacks: use either the single form"),
        ("listener: {type: http-trigger, path: /a}\n", "c.yaml:1:11: listener.workflow: missing required key "
                                                       "`workflow`"),
        ("listener: {type: capture, path: nope}\n", "c.yaml:1:33: listener.path: a path starts with `/`"),
        ("listeners: {type: capture}\n", "c.yaml:1:12: listeners: `listeners` is a list"),
        ("listener: {type: capture}\nlisteners: [{type: capture, port: 1}]\n",
         "c.yaml:2:1: listeners: use either `listener:` or `listeners:`, not both"),
        ("listeners: [{type: capture}, {type: capture}]\n",
         "c.yaml:1:30: listeners[1].port: port 8090 is already used by the listener at listeners[0]"),
        ("gateway:\n  type: ssh-tunnel\n  port: 8090\n  connection: {host: h, auth: {type: keyfile, username: u}}\n",
         "c.yaml:4:31: gateway.connection.auth: `type: keyfile` needs `keyfile:`"),
        ("gateway: {type: ssh-tunnel, port: 1}\n", "c.yaml:1:10: gateway.connection: missing required key "
                                                   "`connection`"),
        ("gateways: [{type: http-tunnel, driver: ngrok, port: 1}, {type: http-tunnel, driver: ngrok, port: 1}]\n",
         "c.yaml:1:98: gateways[1].port: another gateway already exposes port 1"),
        ("components: {x: {endpoint: 'http://a'}}\n", "c.yaml:1:17: components.x.type: missing required key `type`"),
        ("workflow: {jobs: []}\n", "c.yaml:1:18: workflow.jobs: a workflow needs at least one job"),
        ("workflow: {jobs: [{id: a}]}\n", "c.yaml:1:19: workflow.jobs[0].component: missing required key "
                                         "`component` (no components are defined)"),
        ("workflows: [{jobs: [{component: logger}]}]\n", "c.yaml:1:13: workflows[0].id: missing required key `id`"),
        ("listener: {type: capture, forward: 5}\n", "c.yaml:1:36: listener.forward: Input should be a valid string"),
        ("listener: {type: capture, respond: maybe}\n", "c.yaml:1:36: listener.respond: `maybe` is not allowed"),
        ("listener: {type: capture, verify: {scheme: hmac}}\n",
         "c.yaml:1:35: listener.verify: the generic `hmac` scheme needs the name of its signature header"),
        ("listener: {type: capture, verify: {scheme: modelriver, signed_content: '{ts}.{body}'}}\n",
         "c.yaml:1:35: listener.verify: unknown placeholder {ts} in signed content"),
        ("components: {x: {type: http-client, endpoint: '${input.a +}'}}\n",
         "c.yaml:1:47: components.x.endpoint: unexpected `}` at character 12 (in `${input.a +}`)"),
    ],
)
def test_single_mistakes(text: str, expected: str) -> None:
    errors = errors_of(text)
    assert errors[0].startswith(expected), errors


def test_warnings_do_not_block(monkeypatch: pytest.MonkeyPatch) -> None:
    config, problems = check_config_text("""\
controller: {type: http-server, port: 443}
listener: {type: capture, host: 0.0.0.0, runtime: docker}
components:
  m: {type: model, task: chat-completion}
workflow: {jobs: [{component: m}]}
""", "c.yaml")
    assert config is not None
    assert [str(p) for p in problems] == [
        "c.yaml:1:1: controller: warning: `controller` is accepted for model-compose compatibility but hooktui "
        "does not use it",
        "c.yaml:2:33: listener.host: warning: listens on 0.0.0.0, not only on this machine: anything that can reach "
        "it can send events (the default is 127.0.0.1)",
        "c.yaml:2:51: listener.runtime: warning: runtime `docker` is accepted but hooktui runs natively",
        "c.yaml:4:13: components.m.type: warning: component type `model` is not run by hooktui (it runs http-client, "
        "logger, shell); a job that uses it will fail",
    ]
    assert config.workflows["default"].model.jobs[0].component == "m"


def test_inline_component_and_yaml_merge_keys() -> None:
    config = parse_config("""\
components:
  a: &base {type: http-client, endpoint: http://localhost:1/a, method: PUT}
  b:
    <<: *base
    method: GET
workflow:
  id: w
  jobs:
    - id: j
      component: {type: http-client, endpoint: "http://localhost:1/${input.x}"}
""", "c.yaml")
    assert (config.components["a"].method, config.components["b"].method) == ("PUT", "GET")
    job = config.workflows["w"].model.jobs[0]
    assert job.component == "j@inline"
    assert config.components["j@inline"].endpoint.render(Scope({"input": {"x": "y"}})) == "http://localhost:1/y"


def test_parse_config_raises_with_every_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("listener: {type: nope}\ngateway: {type: nope}\n", "c.yaml")
    assert len([p for p in caught.value.problems if p.severity == "error"]) == 2
    assert "c.yaml:1:18: listener.type" in str(caught.value)
