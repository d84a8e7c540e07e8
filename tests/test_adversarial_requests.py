"""Hostile requests against the routes that start work: a request value that tries to become several shell
arguments, and a trigger fired the way any web page in the developer's browser can (text/plain, a form: no CORS
preflight). Real listeners on loopback, real workflows, a real subprocess for the shell job."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hookdeck_tui.config import check_config_text, parse_config
from hookdeck_tui.config.command_line import split_command
from hookdeck_tui.signatures import sign_body
from tests.test_workflows import World, wait_for_runs

ARGV_SCRIPT = "import json, sys; print(json.dumps(sys.argv[1:]))"


def shell_config(script: Path, command: str, verify: str = "") -> str:
    return f"""
listener:
  type: http-trigger
  port: 0
  triggers:
    - path: /run
      workflow: argv
      {verify}
components:
  argv: {{type: shell, command: {json.dumps(command)}}}
workflows:
  argv: {{jobs: [{{component: argv, output: "${{output.stdout}}"}}]}}
""".replace("PYTHON", sys.executable).replace("SCRIPT", str(script))


@pytest.fixture
async def world(tmp_path: Path):
    w = World(tmp_path)
    yield w
    await w.close()


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "argv.py"
    path.write_text(ARGV_SCRIPT)
    return path


HOSTILE_VALUES = ["x1 /tmp/other-file", "a'b \"c\" d", "; rm -rf ~ ;", "$(id) `id` $HOME", "--flag=1 -x", "",
                  "tab\tand\nnewline", "${body.name}"]


async def test_a_request_value_is_always_exactly_one_shell_argument(world: World, script: Path) -> None:
    command = "PYTHON SCRIPT first ${input.name} 'quoted ${input.name} inside' --n=${input.name} \"two words\" $${HOME}"
    console = await world.start(shell_config(script, command))
    for value in HOSTILE_VALUES:
        response = await world.http.post(f"{console.listener_urls[0]}/run", json={"name": value})
        assert response.status_code == 200, response.text
    runs = await wait_for_runs(world, len(HOSTILE_VALUES))
    seen = {run.input["name"]: json.loads(run.output) for run in runs if run.status == "succeeded"}
    assert sorted(seen) == sorted(HOSTILE_VALUES), [r.error for r in runs]
    for value, argv in seen.items():
        assert argv == ["first", value, f"quoted {value} inside", f"--n={value}", "two words", "${HOME}"]


async def test_a_nul_in_a_request_value_fails_the_job_with_a_reason(world: World, script: Path) -> None:
    console = await world.start(shell_config(script, "PYTHON SCRIPT ${input.name}"))
    response = await world.http.post(f"{console.listener_urls[0]}/run", json={"name": "a\u0000b"})
    assert response.status_code == 200
    (run,) = await wait_for_runs(world, 1)
    assert run.status == "failed" and "null byte" in run.error


def test_the_command_line_is_split_before_anything_is_rendered() -> None:
    assert split_command('run ${input.a | "x y"} "${input.b} c" d\\ e $${lit}') == [
        "run", '${input.a | "x y"}', "${input.b} c", "d e", "$${lit}"]
    config = parse_config('components: {s: {type: shell, command: "run ${input.a} x"}}\n', "c.yaml")
    assert [t.text for t in config.components["s"].command.templates()] == ["${input.a}"]


def test_an_unbalanced_quote_is_a_located_config_error() -> None:
    config, problems = check_config_text("components:\n  s: {type: shell, command: \"echo 'unclosed\"}\n", "c.yaml")
    assert config is None
    assert [str(p) for p in problems] == ["c.yaml:2:29: components.s.command: cannot split the command line: "
                                          "No closing quotation"]


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/plain", b'{"name": "from a web page"}'),
    ("application/x-www-form-urlencoded", b"name=from+a+form"),
    (None, b'{"name": "no type"}'),
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nv\r\n--x--\r\n'),
])
async def test_an_unsigned_trigger_needs_a_json_content_type(world: World, script: Path, content_type: str | None,
                                                             body: bytes) -> None:
    console = await world.start(shell_config(script, "PYTHON SCRIPT ${input.name}"))
    headers = {"Content-Type": content_type} if content_type else {}
    response = await world.http.post(f"{console.listener_urls[0]}/run", content=body, headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    event = world.store.get(int(response.headers["X-Hooktui-Event"]))
    assert event.body == body and event.response_status == 415 and "Content-Type" in event.error
    assert world.store.runs() == []


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "application/vnd.api+json"])
async def test_json_content_types_start_the_run(world: World, script: Path, content_type: str) -> None:
    console = await world.start(shell_config(script, "PYTHON SCRIPT ${input.name}"))
    response = await world.http.post(f"{console.listener_urls[0]}/run", content=b'{"name": "n"}',
                                     headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    (run,) = await wait_for_runs(world, 1)
    assert json.loads(run.output) == ["n"]


async def test_a_validly_signed_trigger_may_send_a_form(world: World, script: Path) -> None:
    verify = "verify: {scheme: modelriver, secret: mr_secret}"
    console = await world.start(shell_config(script, "PYTHON SCRIPT ${input.name}", verify))
    body = b"name=signed+form"
    url = f"{console.listener_urls[0]}/run"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    badly = await world.http.post(url, content=body, headers={**form, **dict(sign_body(body, scheme="modelriver",
                                                                                     secret="other"))})
    assert badly.status_code == 415  # a signature that does not check out is no signature
    signed = await world.http.post(url, content=body, headers={**form, **dict(sign_body(body, scheme="modelriver",
                                                                                      secret="mr_secret"))})
    assert signed.status_code == 200, signed.text
    (run,) = await wait_for_runs(world, 1)
    assert json.loads(run.output) == ["signed form"]
