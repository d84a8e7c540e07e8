"""`hooktui init`: every template is written, accepted by `hooktui check` without a warning, and runs as written —
a real `hooktui listen` captures (and verifies) a request, and the modelriver template's `generate-image`
workflow completes through its callback. The templates' fixed ports are swapped for free ones, as the only edit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hookdeck_tui.commands.init import TEMPLATES
from hookdeck_tui.signatures import sign_body
from tests.test_listen_cli import ListenProcess
from tests.test_tunnels import free_port

SIGNED = {"stripe": ("stripe", "STRIPE_WEBHOOK_SECRET", "whsec_init_test"),
          "github": ("github", "GITHUB_WEBHOOK_SECRET", "gh-init-secret"),
          "modelriver": ("modelriver", "MODELRIVER_WEBHOOK_SECRET", "mr-init-secret")}


def hooktui(cwd: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def with_free_ports(path: Path) -> None:
    """The templates listen on 8090 and up; tests run beside other servers, so each port becomes a free one."""
    ports: dict[str, str] = {}
    path.write_text(re.sub(r"\b(809\d)\b", lambda m: ports.setdefault(m.group(1), str(free_port())),
                           path.read_text()))


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_each_template_is_written_and_checks_clean(template: str, tmp_path: Path) -> None:
    written = hooktui(tmp_path, "init", "--template", template)
    assert written.returncode == 0, written.stderr
    assert written.stdout.startswith(f"wrote hooktui.yaml ({template}: ")
    text = (tmp_path / "hooktui.yaml").read_text()
    assert text.startswith("# hooktui.yaml — written by `hooktui init") and text.count("\n#") >= 3
    checked = hooktui(tmp_path, "check")  # ./hooktui.yaml, as a user runs it
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "warning" not in (checked.stdout + checked.stderr).lower()


def test_an_existing_config_is_kept_unless_forced(tmp_path: Path) -> None:
    config = tmp_path / "hooktui.yaml"
    config.write_text("listener: {type: capture, port: 9999}\n")
    refused = hooktui(tmp_path, "init", "-t", "stripe")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "hooktui init: hooktui.yaml exists; keeping it (--force overwrites it)"
    assert config.read_text() == "listener: {type: capture, port: 9999}\n"
    forced = hooktui(tmp_path, "init", "-t", "stripe", "--force")
    assert forced.returncode == 0 and "scheme: stripe" in config.read_text()


def test_init_writes_where_it_is_told(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    written = hooktui(tmp_path, "init", "-t", "github", "conf/webhooks.yaml")
    assert written.returncode == 0
    assert "hooktui check -c conf/webhooks.yaml" in written.stdout
    assert "scheme: github" in (tmp_path / "conf" / "webhooks.yaml").read_text()
    assert hooktui(tmp_path, "init", "--template", "nope").returncode == 2
    nowhere = hooktui(tmp_path, "init", "missing/dir/hooktui.yaml")
    assert nowhere.returncode == 2
    assert nowhere.stderr.strip() == "hooktui init: cannot write missing/dir/hooktui.yaml: No such file or directory"


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_each_template_captures_a_request_with_hooktui_listen(template: str, tmp_path: Path) -> None:
    assert hooktui(tmp_path, "init", "-t", template).returncode == 0
    config = tmp_path / "hooktui.yaml"
    with_free_ports(config)
    scheme, variable, secret = SIGNED.get(template, (None, "HOOKTUI_UNUSED", ""))
    listen = ListenProcess(tmp_path, "-c", str(config), "--json", env={variable: secret})
    body = b'{"type": "task.ai_generated", "id": "evt_1"}'
    headers = {"Content-Type": "application/json", **(dict(sign_body(body, scheme=scheme, secret=secret))
                                                       if scheme else {})}
    with httpx.Client() as client:
        answer = client.post(f"{listen.url}/webhooks/{template}", content=body, headers=headers)
    code, out, err = listen.stop()
    assert code == 0, err
    assert (answer.status_code, answer.json()) == (200, {"received": True})
    (line,) = out.splitlines()
    event = json.loads(line)
    assert (event["path"], event["status"]) == (f"/webhooks/{template}", 200)
    if scheme:
        assert (event["signature"]["scheme"], event["signature"]["status"]) == (scheme, "valid")


def test_the_modelriver_template_runs_generate_image_through_its_callback(tmp_path: Path) -> None:
    """The README's `hooktui run generate-image -c hooktui.yaml --input '{"prompt": "a lighthouse"}'`."""
    assert hooktui(tmp_path, "init", "--template", "modelriver").returncode == 0
    with_free_ports(tmp_path / "hooktui.yaml")
    result = hooktui(tmp_path, "run", "generate-image", "-c", "hooktui.yaml", "--input", '{"prompt": "a lighthouse"}',
                     env={"HOOKTUI_DB": str(tmp_path / "runs.db")})
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["prompt"] == "a lighthouse"
    assert re.fullmatch(r"https://images\.example/run_\w+\.png", output["url"])
    progress = result.stderr.splitlines()
    assert any(line.startswith("  generate: waiting key=run_") for line in progress)
    assert any(line.startswith("  generate: resumed status=completed") for line in progress)


async def test_the_modelriver_stand_in_never_posts_to_a_url_a_request_names(tmp_path: Path) -> None:
    """The stand-in image service reports to the config's own callback listener: a request to it naming another
    `callback_url` (a page in the browser, a DNS-rebound host) does not make hooktui POST there."""
    from hookdeck_tui.store import Store
    from tests.receiver import Receiver
    from tests.waiting import wait_until

    sink = Receiver()
    sink_url = await sink.start()
    try:
        assert hooktui(tmp_path, "init", "-t", "modelriver").returncode == 0
        config = tmp_path / "hooktui.yaml"
        with_free_ports(config)
        listen = ListenProcess(tmp_path, "-c", str(config))
        stand_in = next(line.split()[2] for line in listen.startup if "/demo/images" in line)
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{stand_in}/demo/images", json={
                "task_id": "t1", "prompt": "p", "callback_url": f"{sink_url}/internal-admin"})
        assert answer.status_code == 200, answer.text
        with Store(listen.db) as store:
            await wait_until(lambda: [r for r in store.runs() if r.status != "running"], timeout=30)
            (run,) = store.runs()
            assert run.workflow == "demo-image-service" and run.status == "succeeded", run
        code, _, err = listen.stop()
        assert code == 0, err
        assert sink.requests == []
    finally:
        await sink.stop()
