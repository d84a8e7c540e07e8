"""The short commands load only what they use: their start-up is mostly imports, so the import graph is what a
test can check without a clock (benchmarks/startup_bench.py prints the times)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hookdeck_tui.store import CapturedEvent, Store

HEAVY = {"pydantic", "httpx", "yaml", "starlette", "uvicorn", "textual", "asyncssh", "asyncio"}
OURS = ("hookdeck_tui.config", "hookdeck_tui.listener")  # pydantic models; the listener (starlette, httpx)

PROBE = """
import json, sys
from hookdeck_tui.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded_modules(args: list[str], tmp_path: Path) -> set[str]:
    env = {"HOOKTUI_DB": str(tmp_path / "events.db"), "HOOKTUI_SECRET": "whsec_startup", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60,
                            env=env, cwd=tmp_path)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, 1), result.stderr
    return {name for name in report["modules"] if name.split(".")[0] in HEAVY or name.startswith(OURS)}


@pytest.fixture
def store_with_an_event(tmp_path: Path) -> Path:
    (tmp_path / "body.json").write_bytes(b'{"type": "task.ai_generated"}')
    with Store(tmp_path / "events.db") as store:
        store.append_sync(CapturedEvent("POST", "/webhooks", [("Content-Type", "application/json")], b"{}"))
    return tmp_path


@pytest.mark.parametrize("args", [
    ["sign", "--scheme", "modelriver", "body.json"],
    ["verify", "-H", "mr-signature: 00", "body.json"],
    ["verify", "-H", "X-Hub-Signature-256: sha256=00", "body.json"],
])
def test_sign_and_verify_load_neither_the_config_nor_http_nor_asyncio(args: list[str],
                                                                      store_with_an_event: Path) -> None:
    heavy = loaded_modules(args, store_with_an_event)
    assert not heavy, f"`hooktui {args[0]}` imported {sorted(heavy)}"


@pytest.mark.parametrize("args", [["events", "--limit", "1"], ["events", "--filter", "method:POST"], ["show", "1"]])
def test_reading_the_store_loads_neither_the_config_nor_http(args: list[str], store_with_an_event: Path) -> None:
    heavy = {name for name in loaded_modules(args, store_with_an_event) if not name.startswith("asyncio")}
    assert not heavy, f"`hooktui {' '.join(args)}` imported {sorted(heavy)}"


def test_the_probe_sees_heavy_imports_when_a_command_needs_them(store_with_an_event: Path) -> None:
    """`show --curl` builds a curl line with the forwarder's header rules, which loads the config's pydantic models:
    the probe must notice them there, or the tests above would pass whatever is imported."""
    assert "pydantic" in {name.split(".")[0] for name in loaded_modules(["show", "1", "--curl"], store_with_an_event)}


def test_the_console_starts_without_httpx_or_the_diagnosis_and_loads_httpx_once_it_is_up() -> None:
    """httpx (~50 ms) and the signature diagnosis (a dozen modules) are left out of the console's start-up; once the
    console is up, runtime.settle_after_start imports httpx on a thread, so the first forward finds it loaded."""
    code = ("import sys; from hookdeck_tui.console import Console; from hookdeck_tui.tui.app import HooktuiApp; "
            "from hookdeck_tui.runtime import settle_after_start; "
            "before = sorted(m for m in sys.modules if m.split('.')[0] == 'httpx' or m.endswith('diagnosis')); "
            "settle_after_start(wait=False).join(); print(before, 'httpx' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["[]", "True"], result.stderr


@pytest.mark.parametrize("args", [["send", "--secret", "s", "http://127.0.0.1:9/hook"],
                                  ["replay", "1", "--to", "http://127.0.0.1:9/hook"]])
def test_a_command_that_only_sends_starts_no_server_code(args: list[str], store_with_an_event: Path) -> None:
    """`send` and `replay` build a Console that listens for nothing: uvicorn, Starlette and the inspection endpoint
    stay unloaded."""
    loaded = {name.split(".")[0] for name in loaded_modules(args, store_with_an_event)}
    assert not loaded & {"uvicorn", "starlette"}, sorted(loaded)
