"""Security by default, checked against the real parts: the inspection endpoint answers only loopback peers with
its token; a listener port serves nothing of hooktui's own but the round-trip callback route; configured secrets
reach neither the store, the logs, the exports nor the screen; a client cannot make a listener hold megabytes of
headers or a connection forever (slow loris)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console, VerifyDefaults
from hookdeck_tui.delivery.replay import replay, replay_url, resign_settings
from hookdeck_tui.forge.build import ForgeSpec, forge
from hookdeck_tui.forge.sending import send_forged
from hookdeck_tui.forge.templates import get_template
from hookdeck_tui.listener import guarded_protocol
from hookdeck_tui.listener.server import ListenerServer
from hookdeck_tui.messages import LogLine
from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import Store
from hookdeck_tui.store.exchange import export
from hookdeck_tui.tui.app import HooktuiApp
from tests.receiver import Receiver
from tests.test_round_trip import receiver_example
from tests.waiting import wait_until

ROUTE_SECRET = "whsec_route_secret_7f3a"
DEFAULT_SECRET = "cli_default_secret_91bc"
FORGE_SECRET = "forge_secret_c0ffee"
API_KEY = "mr_api_key_5e5e5e5e"


@pytest.fixture
async def console(tmp_path: Path):
    store = Store(tmp_path / "sec.db")
    console = Console(parse_config(f"listeners:\n  - {{type: capture, port: 0, path: /mr, verify: {{scheme: "
                                   f"modelriver, secret: {ROUTE_SECRET}}}}}\n  - {{type: capture, port: 0}}\n",
                                   "sec.yaml"), store, verify_defaults=VerifyDefaults(None, [DEFAULT_SECRET]),
                      api_key=API_KEY)
    await console.start()
    yield console
    await console.stop()
    store.close()


@pytest.mark.parametrize(("peer", "token", "expected"), [
    ("203.0.113.7", True, 403), ("10.0.0.2", True, 403), ("::ffff:192.0.2.1", True, 403),
    ("127.0.0.1", False, 401), ("127.0.0.1", True, 200), ("::1", True, 200), ("127.0.0.1", "wrong", 401)])
async def test_inspection_endpoint_answers_only_loopback_peers_with_its_token(console: Console, peer: str,
                                                                              token: object, expected: int) -> None:
    offered = console.inspection.token if token is True else token or ""
    transport = httpx.ASGITransport(app=console.inspection.app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://inspection") as client:
        response = await client.get("/status", headers={"Authorization": f"Bearer {offered}"} if offered else {})
    assert response.status_code == expected


async def test_the_inspection_endpoint_is_never_on_a_listener_port(console: Console) -> None:
    listener_ports = {server.port for server in console.servers}
    assert console.inspection_server.port not in listener_ports
    assert console.inspection_server.host == "127.0.0.1"
    async with httpx.AsyncClient() as client:  # over real TCP, from loopback, the token still matters
        answer = await client.get(console.inspection_url.split("?")[0])
    assert answer.status_code == 401


@pytest.mark.parametrize("path", ["/_hooktui/events", "/_hooktui/status", "/_hooktui/", "/%5Fhooktui/events",
                                  "/_hooktui/events?token=x", "/_hooktui/callback/", "/_hooktui/callback/a/b",
                                  "/_hooktui/../_hooktui/status"])
async def test_a_listener_serves_nothing_of_hooktuis_own_but_the_callback_route(console: Console, path: str) -> None:
    async with httpx.AsyncClient() as client:
        for listener in console.listener_urls:
            response = await client.get(listener + path)
            assert response.status_code == 404, (path, response.text)
            assert "text/event-stream" not in response.headers.get("content-type", "")
            assert console.inspection.token not in response.text
            posted = await client.post(listener + path, json={})
            assert posted.status_code == 404
    async with httpx.AsyncClient() as client:
        callback = await client.post(console.listener_urls[1] + "/_hooktui/callback/unknown", json={})
    assert callback.status_code == 404 and "no round trip is waiting" in callback.text  # the route, answering


async def test_configured_secrets_reach_no_store_log_export_or_screen(console: Console, tmp_path: Path) -> None:
    logs = console.bus.subscribe(kinds={LogLine})
    app_server = Receiver()
    app_url = await app_server.start()
    example = receiver_example.create_app(secret=FORGE_SECRET, api_key=API_KEY, db_path=tmp_path / "app.db")
    receiver = ListenerServer(example, "127.0.0.1", 0)
    await receiver.start()
    try:
        body = b'{"type":"task.completed"}'
        async with httpx.AsyncClient() as client:
            signed = await client.post(console.listener_urls[0] + "/mr", content=body,
                                       headers=dict(sign_body(body, scheme="modelriver", secret=ROUTE_SECRET)))
            await client.post(console.listener_urls[1] + "/bad", content=b"{}", headers={"mr-signature": "00"})
        original = console.store.get(int(signed.headers["X-Hooktui-Event"]))
        assert original.signature.status == "valid"
        await replay(console.store, original, replay_url(original, app_url), resign=resign_settings(console.config,
                                                                                                    original))
        forged = forge(ForgeSpec(get_template("modelriver.task_ai_generated"), receiver.url, secret=FORGE_SECRET,
                                 callback_base=console.listener_urls[1]))
        await send_forged(console.store, forged, console.round_trips)
        trip = await console.round_trips.wait(forged.channel_id, 30)
        assert trip.status == "completed"
    finally:
        await receiver.stop()
        await app_server.stop()
    secrets = [ROUTE_SECRET, DEFAULT_SECRET, FORGE_SECRET]
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("sec.db*"))
    assert stored and not [s for s in secrets if s.encode() in stored]
    for fmt in ("har", "ndjson"):
        out = io.StringIO()
        assert export(console.store, out, fmt=fmt) == 5  # signed, bad, replay, forged, callback
        assert not [s for s in secrets + [API_KEY] if s in out.getvalue()]  # the callback's Bearer is masked
        assert "Bearer ••••" in out.getvalue()
    kept = io.StringIO()
    export(console.store, kept, fmt="ndjson", credentials=True)
    assert f"Bearer {API_KEY}" in kept.getvalue()  # only when asked for
    lines = []
    while not logs.queue.empty():
        lines.append(json.dumps(logs.queue.get_nowait().message.to_json()))
    assert not [s for s in secrets + [API_KEY] if any(s in line for line in lines)]

    app = HooktuiApp(Console(parse_config("listener: {type: capture, port: 0}\n", "t.yaml"), console.store,
                             inspection_port=None))
    async with app.run_test(size=(130, 40)) as pilot:
        await wait_until(lambda: app.window.count == 5)
        for _ in range(5):  # every event, on every tab
            for tab in ("overview", "headers", "body", "signature", "forward", "round-trip"):
                app.query_one("#detail-tabs").active = f"tab-{tab}"
                await pilot.pause(0.05)
                screen = app.export_screenshot()
                assert not [s for s in secrets + [API_KEY] if s in screen], tab
            await pilot.press("up")
        await pilot.press("q")


async def test_hooktui_listen_prints_no_secret(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hookdeck_tui", "listen", "--port", "0", "--secret", ROUTE_SECRET, "--scheme",
        "modelriver", "--db", str(tmp_path / "l.db"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "HOOKTUI_SECRET": DEFAULT_SECRET})
    try:
        banner = b""
        while b"http://127.0.0.1:" not in banner:
            banner += await asyncio.wait_for(process.stderr.readline(), 20)
        url = banner.decode().split("http://127.0.0.1:")[1].split()[0].rstrip(",")
        body = b'{"a":1}'
        async with httpx.AsyncClient() as client:
            await client.post(f"http://127.0.0.1:{url}/x", content=body, headers={"mr-signature": "ab" * 32})
        line = await asyncio.wait_for(process.stdout.readline(), 20)
    finally:
        process.terminate()
        rest_out, rest_err = await process.communicate()
    printed = banner + line + rest_out + rest_err
    assert b"invalid" in line
    assert ROUTE_SECRET.encode() not in printed and DEFAULT_SECRET.encode() not in printed


async def raw_exchange(host: str, port: int, data: bytes, timeout: float = 20) -> tuple[bytes, float]:
    reader, writer = await asyncio.open_connection(host, port)
    started = time.monotonic()
    writer.write(data)
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    return answer, time.monotonic() - started


async def test_oversized_headers_get_431_and_the_listener_goes_on(console: Console) -> None:
    server = console.servers[1]
    request = (b"POST /big HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (2 * 1024 * 1024) +
               b"\r\nContent-Length: 0\r\n\r\n")
    answer, _ = await raw_exchange(server.host, server.port, request)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large")
    async with httpx.AsyncClient() as client:
        assert (await client.post(console.listener_urls[1] + "/after", content=b"{}")).status_code == 200
        many = {f"X-H{i}": "v" * 100 for i in range(400)}  # 40 KiB in many headers: under the limit
        assert (await client.post(console.listener_urls[1] + "/many", content=b"{}", headers=many)).status_code == 200


async def test_a_slow_loris_is_cut_off_for_headers_and_for_bodies(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guarded_protocol.GuardedHttpToolsProtocol, "header_timeout", 0.5)
    store = Store(tmp_path / "slow.db")
    console = Console(parse_config("listener: {type: capture, port: 0, body_timeout: 0.5}\n", "t.yaml"), store,
                      inspection_port=None)
    await console.start()
    try:
        server = console.servers[0]
        headers, took = await raw_exchange(server.host, server.port, b"POST /slow HTTP/1.1\r\nHost: x\r\n")
        assert headers.startswith(b"HTTP/1.1 408 Request Timeout") and took < 10
        body, took = await raw_exchange(server.host, server.port,
                                        b"POST /trickle HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
        assert body.startswith(b"HTTP/1.1 408") and took < 10
        idle, took = await raw_exchange(server.host, server.port, b"")  # connects and says nothing
        assert idle.startswith(b"HTTP/1.1 408") and took < 10
    finally:
        await console.stop()
    event = store.get(1)
    assert event.path == "/trickle" and event.body == b"abc" and event.response_status == 408
    assert "sent 3 bytes of the body in 0.5 s" in event.error
    store.close()
