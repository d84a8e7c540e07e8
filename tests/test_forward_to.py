"""`--forward-to` as users know it from `stripe listen` and ngrok, and the flags for what YAML already has
(`--respond app`, `--enforce`): a real `hooktui listen` process in front of a real app on a loopback port."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx

from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import Store
from tests.receiver import Receiver
from tests.test_listen_cli import ListenProcess


async def _until_forwarded(receiver: Receiver, count: int) -> None:
    for _ in range(1000):
        if len(receiver.requests) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the app got {len(receiver.requests)} of {count} requests")


async def test_a_url_with_a_path_gets_every_request_and_an_origin_keeps_the_path(tmp_path: Path) -> None:
    receiver = Receiver()
    app = await receiver.start()
    try:
        for name in ("exact", "origin"):
            (tmp_path / name).mkdir()
        exact = ListenProcess(tmp_path / "exact", "--forward-to", app.removeprefix("http://") + "/api/webhook")
        origin = ListenProcess(tmp_path / "origin", "--forward-to", app)
        async with httpx.AsyncClient() as client:
            await client.post(f"{exact.url}/stripe/events?attempt=2", content=b'{"n": 1}')
            await _until_forwarded(receiver, 1)
            await client.post(f"{origin.url}/orders/7?x=1", content=b'{"n": 2}')
            await _until_forwarded(receiver, 2)
        assert [(r.path, r.query, r.body) for r in receiver.requests] == [
            ("/api/webhook", "attempt=2", b'{"n": 1}'), ("/orders/7", "x=1", b'{"n": 2}')]
        for listen in (exact, origin):
            code, _, err = listen.stop()
            assert code == 0 and "Traceback" not in err
        assert f"forwarding to {app}/api/webhook" in exact.startup
    finally:
        await receiver.stop()


async def test_respond_app_and_enforce_flags(tmp_path: Path) -> None:
    receiver = Receiver(answers=[(202, b'{"queued": 7}')])
    app = await receiver.start()
    try:
        listen = ListenProcess(tmp_path, "--forward-to", app, "--respond", "app", "--enforce",
                               "--secret", "mr-secret")
        body = b'{"type":"task.ai_generated"}'
        async with httpx.AsyncClient() as client:
            good = await client.post(f"{listen.url}/hook", content=body,
                                     headers=dict(sign_body(body, scheme="modelriver", secret="mr-secret")))
            bad = await client.post(f"{listen.url}/hook", content=body,
                                    headers=dict(sign_body(body, scheme="modelriver", secret="another")))
            unsigned = await client.post(f"{listen.url}/hook", content=body)
        assert (good.status_code, good.json(), good.headers["X-Receiver"]) == (202, {"queued": 7}, "yes")
        assert (bad.status_code, unsigned.status_code) == (401, 401)
        # the sender learns what its request lacks, never which secrets were tried or where they come from
        assert bad.json() == {"error": "invalid signature", "detail": "the signature does not match"}
        assert unsigned.json()["detail"] == "the request carries no signature"
        assert len(receiver.requests) == 1  # refused requests are not forwarded
        with Store(listen.db) as store:
            assert store.get(2).error == "rejected: signature invalid and --enforce is on"
        code, _, err = listen.stop()
        assert code == 0, err
    finally:
        await receiver.stop()


def test_respond_app_without_a_target_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "hookdeck_tui", "listen", "--respond", "app", "--port", "0",
                             "--db", str(tmp_path / "x.db")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--forward-to" in result.stderr and "Traceback" not in result.stderr
