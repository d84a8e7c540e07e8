"""The ModelRiver round trip, end to end on loopback: hooktui forges a signed `task.ai_generated` event, the
example receiver (examples/modelriver_receiver.py, a real Starlette app on a real Uvicorn) verifies it, saves the
`ai_content` row in SQLite and calls back the console's `/_hooktui/callback/<channel_id>` route; the console checks
the Bearer token and the contract. Also: a receiver that fails, one with the wrong API key, one that never calls
back, and `hooktui send --wait` as a user runs it."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.forge.build import ForgeSpec, forge
from hookdeck_tui.forge.sending import send_forged
from hookdeck_tui.forge.templates import get_template
from hookdeck_tui.listener.server import ListenerServer
from hookdeck_tui.messages import RoundTripChanged
from hookdeck_tui.roundtrip import check_callback
from hookdeck_tui.store import Store

SECRET = "whsec_mr_demo"
API_KEY = "mr_live_demo_key"
ROOT = Path(__file__).resolve().parent.parent


def example_receiver_module():
    spec = importlib.util.spec_from_file_location("modelriver_receiver", ROOT / "examples" / "modelriver_receiver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


receiver_example = example_receiver_module()


@pytest.fixture
async def console(tmp_path: Path):
    store = Store(tmp_path / "hooktui.db")
    console = Console(parse_config("listener: {type: capture, port: 0}\n", "t.yaml"), store, inspection_port=None,
                      api_key=API_KEY)
    await console.start()
    yield console
    await console.stop()
    store.close()


async def serve(app) -> tuple[ListenerServer, str]:
    server = ListenerServer(app, "127.0.0.1", 0, name="receiver")
    await server.start()
    return server, server.url


async def round_trip(console: Console, app_url: str, *, trip_timeout: float = 30, **spec):
    forged = forge(ForgeSpec(get_template("modelriver.task_ai_generated"), app_url, secret=SECRET,
                             callback_base=console.listener_urls[0], **spec))
    event, result = await send_forged(console.store, forged, console.round_trips, trip_timeout=trip_timeout)
    trip = await console.round_trips.wait(forged.channel_id, trip_timeout + 5)
    return forged, event, result, trip


async def test_full_round_trip_against_the_example_receiver(console: Console, tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    server, url = await serve(receiver_example.create_app(secret=SECRET, api_key=API_KEY, db_path=db))
    messages = console.bus.subscribe(kinds={RoundTripChanged})
    try:
        forged, event, result, trip = await round_trip(console, url, sets=["ai_response.data.title=Launch notes"])
    finally:
        await server.stop()
    assert result.status == 200 and json.loads(result.body) == {"received": True}
    assert event.origin == "forged" and event.signature.status == "valid"
    assert trip.status == "completed", trip
    check = trip.detail["check"]
    assert check["auth"] == "ok" and check["problems"] == []
    assert set(check["added"]) == {"id", "saved_at"} and check["changed"] == {} and check["removed"] == []
    assert check["metadata"] == {"database": "sqlite", "table": "ai_content", "record_id": check["added"]["id"]}
    row = sqlite3.connect(db).execute("SELECT title, channel_id, event_name FROM ai_content").fetchone()
    assert row == ("Launch notes", forged.channel_id, "content_ready")
    callback = console.store.get(trip.callback_event)
    assert callback.origin == "callback" and callback.origin_ref == event.id and callback.response_status == 200
    assert callback.header("Authorization") == f"Bearer {API_KEY}"  # stored as received; the UI masks it
    assert messages.queue.get_nowait().message.trip.status == "completed"
    assert [e.id for e in console.store.derived_from(event.id)] == [callback.id]


async def test_a_receiver_that_fails_calls_back_processing_failed(console: Console, tmp_path: Path) -> None:
    unwritable = tmp_path / "no-such-dir" / "app.db"  # sqlite cannot create it: the save fails, three times
    server, url = await serve(receiver_example.create_app(secret=SECRET, api_key=API_KEY, db_path=unwritable))
    try:
        _, _, result, trip = await round_trip(console, url)
    finally:
        await server.stop()
    assert result.status == 200
    assert trip.status == "failed"
    assert trip.detail["check"]["message"] == "unable to open database file"


async def test_a_wrong_bearer_token_is_refused_and_named(console: Console, tmp_path: Path) -> None:
    server, url = await serve(receiver_example.create_app(secret=SECRET, api_key="mr_old_key",
                                                          db_path=tmp_path / "a.db"))
    try:
        _, _, _, trip = await round_trip(console, url)
    finally:
        await server.stop()
    assert trip.status == "invalid"
    assert trip.detail["check"]["auth"] == "wrong"
    callback = console.store.get(trip.callback_event)
    assert callback.response_status == 401 and "not the configured MODELRIVER_API_KEY" in callback.error


async def test_a_receiver_that_never_calls_back_times_out(console: Console, tmp_path: Path) -> None:
    server, url = await serve(receiver_example.create_app(secret=SECRET, api_key=API_KEY, db_path=tmp_path / "a.db",
                                                          call_back=False))
    try:
        _, _, result, trip = await round_trip(console, url, trip_timeout=0.5)
    finally:
        await server.stop()
    assert result.status == 200
    assert trip.status == "timeout" and trip.detail["reason"] == "no callback within 0.5 s"


async def test_an_app_that_rejects_the_event_ends_the_round_trip_at_once(console: Console, tmp_path: Path) -> None:
    server, url = await serve(receiver_example.create_app(secret="another secret", api_key=API_KEY,
                                                          db_path=tmp_path / "a.db"))
    try:
        _, _, result, trip = await round_trip(console, url)
    finally:
        await server.stop()
    assert result.status == 401
    assert trip.status == "refused" and "the app answered 401" in trip.detail["reason"]


async def test_callback_route_edges(console: Console) -> None:
    base = console.listener_urls[0]
    async with httpx.AsyncClient() as client:
        unknown = await client.post(f"{base}/_hooktui/callback/nobody", json={"data": {}})
        wrong_method = await client.get(f"{base}/_hooktui/callback/nobody")
        other = await client.get(f"{base}/_hooktui/events")
    assert unknown.status_code == 404 and "no round trip is waiting for channel nobody" in unknown.text
    assert wrong_method.status_code == 405
    assert other.status_code == 404  # nothing else under /_hooktui/ is served on a listener port
    events = [console.store.get(e.id) for e in console.store.page(limit=10)]
    assert all(e.origin == "callback" for e in events[1:]) and events[0].origin == "external"


async def test_a_second_callback_is_refused_and_the_first_outcome_kept(console: Console, tmp_path: Path) -> None:
    server, url = await serve(receiver_example.create_app(secret=SECRET, api_key=API_KEY, db_path=tmp_path / "a.db"))
    try:
        forged, _, _, _trip = await round_trip(console, url)
    finally:
        await server.stop()
    async with httpx.AsyncClient() as client:
        again = await client.post(f"{console.listener_urls[0]}/_hooktui/callback/{forged.channel_id}",
                                  json={"error": "processing_failed", "message": "late"},
                                  headers={"Authorization": f"Bearer {API_KEY}"})
    assert again.status_code == 409
    assert console.store.round_trip(forged.channel_id).status == "completed"


@pytest.mark.parametrize(("body", "outcome", "problem"), [
    ({"data": {"a": 1}, "task_id": "t", "metadata": {}}, "completed", None),
    ({"error": "processing_failed", "message": "db down"}, "failed", None),
    ({"data": {"a": 1}, "task_id": "t"}, "completed", None),  # metadata is optional (the Edge / Next.js handlers)
    ({"data": {"a": 1}, "metadata": {}}, "invalid", "missing task_id"),
    ({"data": [], "task_id": "t", "metadata": {}}, "invalid", "`data` must be an object"),
    ({"error": "boom", "message": "x"}, "invalid", "the contract says \"processing_failed\""),
    ({"error": "processing_failed"}, "invalid", "needs a `message`"),
    ("not json", "invalid", "not JSON"),
])
def test_callback_contract(body, outcome: str, problem: str | None) -> None:
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    check = check_callback({"a": 1, "b": 2}, [("Authorization", "Bearer k")], raw, "k")
    assert check.outcome == outcome
    assert (problem is None and check.problems == []) or any(problem in p for p in check.problems)
    if outcome == "completed":
        assert check.removed == ["b"] and check.added == {} and check.auth == "ok"
    assert check_callback({}, [], raw, "k").auth == "missing"
    assert check_callback({}, [("authorization", "Bearer k")], raw, None).auth == "unchecked"


def hooktui_async(*args: str, env: dict) -> asyncio.subprocess.Process:
    return asyncio.create_subprocess_exec(sys.executable, "-m", "hookdeck_tui", *args, env={**os.environ, **env},
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


async def test_send_wait_as_a_user_runs_it(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    server, url = await serve(receiver_example.create_app(secret=SECRET, api_key=API_KEY, db_path=db))
    env = {"MODELRIVER_WEBHOOK_SECRET": SECRET, "MODELRIVER_API_KEY": API_KEY, "HOOKTUI_SECRET": ""}
    try:
        process = await hooktui_async("send", "--template", "modelriver.task_ai_generated", "--to", url, "--wait",
                                      "--db", str(tmp_path / "h.db"), env=env)
        out, err = await asyncio.wait_for(process.communicate(), 60)
        failing = await hooktui_async("send", "--to", url, "--wait", "--db", str(tmp_path / "h.db"),
                                      "--api-key", "mr_other", env=env)
        failing_out, _ = await asyncio.wait_for(failing.communicate(), 60)
        refused = await hooktui_async("send", "--to", url, "--bad-signature", "--db", str(tmp_path / "h.db"), env=env)
        refused_out, _ = await asyncio.wait_for(refused.communicate(), 60)
    finally:
        await server.stop()
    text = out.decode()
    assert process.returncode == 0, (text, err.decode())
    lines = text.splitlines()
    assert lines[0].startswith(f"→ POST {url}/webhooks/modelriver  (modelriver.task_ai_generated, signed modelriver)")
    assert lines[1].startswith("← 200 in ") and lines[1].endswith('{"received":true}')
    assert lines[2].startswith("… waiting up to 300 s for the callback at http://127.0.0.1:")
    assert lines[3].startswith("✓ callback after ") and re.search(
        r"completed; Bearer ok; the app added data\.id=\d+, data\.saved_at=\"20\d\d-[^\"]+\"; task_id=\"sqlite_\d+\"; "
        r"metadata=\{\"database\": \"sqlite\"", lines[3]), lines[3]
    assert failing.returncode == 1 and "✗ callback" in failing_out.decode() and "wrong Bearer token" in \
        failing_out.decode()
    assert refused.returncode == 0 and "✓ the app refused a request signed with another secret" in refused_out.decode()
    assert sqlite3.connect(db).execute("SELECT count(*) FROM ai_content").fetchone() == (2,)
    with Store(tmp_path / "h.db") as store:
        origins = [e.origin for e in reversed(store.page(limit=10))]
    assert origins == ["forged", "callback", "forged", "callback", "forged"]


async def test_an_app_that_calls_back_before_it_answers_is_still_matched(console: Console) -> None:
    async def eager(scope, receive, send):  # calls back first, answers after: the round trip must already wait
        request = Request(scope, receive)
        payload = json.loads(await request.body())
        async with httpx.AsyncClient() as client:
            answer = await client.post(payload["callback_url"], headers={"Authorization": f"Bearer {API_KEY}"},
                                       json={"data": {**payload["ai_response"]["data"], "id": 7}, "task_id": "t7",
                                             "metadata": {"record_id": 7}})
        await JSONResponse({"received": True, "callback_answer": answer.status_code})(scope, receive, send)

    server, url = await serve(eager)
    try:
        _, _, result, trip = await round_trip(console, url)
    finally:
        await server.stop()
    assert json.loads(result.body) == {"received": True, "callback_answer": 200}
    assert trip.status == "completed" and trip.detail["app_status"] == 200
    assert trip.detail["check"]["added"] == {"id": 7}


async def test_the_send_wait_listener_takes_only_callbacks(tmp_path: Path) -> None:
    """`send --wait --tunnel` makes its callback listener public for the whole wait: anything but a round-trip
    callback is refused (and bounded to 1 MiB), not answered 200 and kept like a console's capture-all."""
    from hookdeck_tui.commands.forge import start_callback_console

    store = Store(tmp_path / "wait.db")
    console = await start_callback_console("send", store, "mr_key", 0)
    try:
        url = console.listener_urls[0]
        async with httpx.AsyncClient() as client:
            other = await client.post(f"{url}/anything/else", content=b"stored by anyone")
            huge = await client.post(f"{url}/anything/else", content=b"x" * (2 * 1024 * 1024))
            callback = await client.post(f"{url}/_hooktui/callback/nobody", json={"data": {}, "task_id": "t"})
        assert other.status_code == 404 and other.json() == {"error": "this listener only takes round-trip callbacks"}
        assert huge.status_code == 413
        assert callback.status_code == 404 and "no round trip is waiting" in callback.json()["error"]
    finally:
        await console.stop()
        store.close()
