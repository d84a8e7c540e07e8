"""`hooktui listen` as a real process: startup lines, one NDJSON line per event, clean stop on SIGINT/SIGTERM, a busy
port and a bad config as one clear line — and a SIGKILL under load that loses no acknowledged event."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import Store


class ListenProcess:
    def __init__(self, tmp_path: Path, *args: str, stdout=subprocess.PIPE, env: dict | None = None) -> None:
        self.db = tmp_path / "listen.db"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hookdeck_tui", "listen", "--port", "0", "--db", str(self.db), *args],
            stdout=stdout, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        self.startup: list[str] = []
        for line in self.process.stderr:
            self.startup.append(line.rstrip("\n"))
            if line.startswith("event stream (SSE):"):
                break
        else:
            raise AssertionError(f"hooktui listen did not start: {self.startup}")
        self.url = self.startup[0].split()[2]

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err


def test_ndjson_lines_and_clean_stop(tmp_path: Path) -> None:
    listen = ListenProcess(tmp_path, "--json", "--secret", "mr_secret", "--scheme", "modelriver")
    assert listen.startup[0].startswith("listening on http://127.0.0.1:") and "(capture * /)" in listen.startup[0]
    assert listen.startup[1] == f"capture store: {listen.db}"
    body = b'{"type":"task.ai_generated","channel_id":"ch_1"}'
    with httpx.Client() as client:
        good = client.post(f"{listen.url}/webhooks/modelriver", content=body,
                           headers=dict(sign_body(body, scheme="modelriver", secret="mr_secret")))
        bad = client.post(f"{listen.url}/webhooks/modelriver", content=body + b" ",
                          headers=dict(sign_body(body, scheme="modelriver", secret="mr_secret")))
    assert good.status_code == bad.status_code == 200
    code, out, err = listen.stop(signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err
    first, second = (json.loads(line) for line in out.splitlines())
    assert {"id", "received_at", "method", "path", "status", "signature", "route", "forward"} <= set(first)
    assert (first["id"], first["method"], first["path"], first["status"]) == (1, "POST", "/webhooks/modelriver", 200)
    assert (first["signature"]["scheme"], first["signature"]["status"]) == ("modelriver", "valid")
    assert second["signature"]["status"] == "invalid"
    assert second["signature"]["reason"] == "signature does not match the configured secret (--secret)"
    assert second["signature"]["diagnosis"] == "pending"  # never computed on the request path
    with Store(listen.db) as store:
        assert store.count() == 2
        assert store.get(2).signature.details["diagnosis"] == "pending"
    show = [sys.executable, "-m", "hookdeck_tui", "show", "2", "--db", str(listen.db)]
    without = subprocess.run(show, capture_output=True, text=True, timeout=60,
                             env={k: v for k, v in os.environ.items() if k not in ("MODELRIVER_WEBHOOK_SECRET",
                                                                                      "HOOKTUI_SECRET")})
    assert "diagnosis: pending — set $MODELRIVER_WEBHOOK_SECRET" in without.stdout
    shown = subprocess.run(show, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "MODELRIVER_WEBHOOK_SECRET": "mr_secret"})
    assert shown.returncode == 0, shown.stderr
    assert "  likely:    whitespace was added around the body after signing [bytes.whitespace]" in shown.stdout


def test_human_lines_and_sigterm(tmp_path: Path) -> None:
    listen = ListenProcess(tmp_path)
    with httpx.Client() as client:
        client.put(f"{listen.url}/hook?x=1", content=b"\x00\xff")
    code, out, _ = listen.stop(signal.SIGTERM)
    assert code == 0
    (line,) = out.splitlines()
    assert line.startswith("#1 ") and "PUT    200  /hook?x=1" in line and line.endswith("→ capture * /")


def test_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "hookdeck_tui", "listen", "--port", str(port), "--db",
                                 str(tmp_path / "x.db")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"hooktui listen: port {port} on 127.0.0.1 is already in use (another hooktui, "
                                     f"or your app?): choose another with --port or `port:` in the config")


def test_bad_config_names_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "hooktui.yaml"
    config.write_text("listener:\n  type: http-callback\n  port: 8090\n  pth: /x\n")
    result = subprocess.run([sys.executable, "-m", "hookdeck_tui", "listen", "-c", str(config), "--db",
                             str(tmp_path / "x.db")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"{config}:4:3: listener.pth: unknown key `pth` (did you mean `path`?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigkill_under_load_loses_no_acknowledged_event(tmp_path: Path) -> None:
    printed = (tmp_path / "stdout.txt").open("w")  # a file, not a pipe nobody reads while the load runs
    listen = ListenProcess(tmp_path, stdout=printed)
    acknowledged: dict[int, bytes] = {}

    async def load() -> None:
        async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=32)) as client:
            counter = 0

            async def worker() -> None:
                nonlocal counter
                while len(acknowledged) < 1500:
                    counter += 1
                    body = json.dumps({"n": counter, "pad": "x" * (counter % 200)}).encode()
                    try:
                        response = await client.post(f"{listen.url}/load", content=body)
                    except httpx.HTTPError:
                        return  # the server is gone
                    if response.status_code == 200:
                        acknowledged[int(response.headers["X-Hooktui-Event"])] = body

            workers = [asyncio.create_task(worker()) for _ in range(32)]
            while len(acknowledged) < 1000:
                await asyncio.sleep(0.01)
            listen.process.send_signal(signal.SIGKILL)  # mid-burst: requests are in flight
            await asyncio.gather(*workers)

    asyncio.run(load())
    listen.process.wait(timeout=30)
    printed.close()
    assert listen.process.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 1000
    with Store(listen.db) as store:
        for event_id, body in acknowledged.items():
            stored = store.get(event_id)
            assert stored is not None, f"acknowledged event {event_id} was lost"
            assert stored.body == body


def test_an_unread_stdout_never_stalls_the_listener(tmp_path: Path) -> None:
    """stdout is a pipe this test never reads: the pipe fills, yet every request is still answered."""
    listen = ListenProcess(tmp_path, "--json")
    with httpx.Client(timeout=10) as client:
        for n in range(1500):  # ~1 KB per NDJSON line: far more than a pipe holds
            assert client.post(f"{listen.url}/n", content=str(n).encode()).status_code == 200
    listen.process.send_signal(signal.SIGKILL)
    listen.process.wait(timeout=30)
    with Store(listen.db) as store:
        assert store.count() == 1500


def test_secret_from_the_environment(tmp_path: Path) -> None:
    listen = ListenProcess(tmp_path, "--json", env={"HOOKTUI_SECRET": "from-env"})
    body = b"payload=1"
    with httpx.Client() as client:
        client.post(f"{listen.url}/s", content=body, headers=dict(sign_body(body, scheme="slack", secret="from-env")))
    _, out, _ = listen.stop()
    assert json.loads(out)["signature"]["status"] == "valid"
