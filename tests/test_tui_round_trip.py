"""The console's forge screen and the round trip, driven with Pilot against real apps: callbacks answered 5xx to
exercise the app's retries (every attempt in the Round trip tab), the callback_url on the tunnel's public URL when
one is online, and the Probe button's scorecard."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from textual.widgets import Input, TextArea

from hookdeck_tui.listener.server import ListenerServer
from hookdeck_tui.tui.forge_screen import ForgeScreen, ProbeScreen
from hookdeck_tui.tui.widgets.event_list import EventList
from tests import guide_receivers as guides
from tests.test_round_trip import receiver_example
from tests.test_tui import SIZE, text_of, until
from tests.test_tui_replay_forge import make_app

SECRET = "whsec_tui_trip"
API_KEY = "mr_tui_trip"
CONFIG = f"listener: {{type: capture, port: 0, verify: {{scheme: modelriver, secret: {SECRET}}}}}\n"


async def open_forge(pilot, app, to: str) -> ForgeScreen:
    await pilot.press("s")
    await until(pilot, lambda: isinstance(app.screen, ForgeScreen))
    screen = app.screen
    screen.query_one("#forge-to", Input).value = to
    return screen


async def test_forge_screen_answers_callbacks_with_5xx_and_the_tab_shows_every_attempt(tmp_path: Path) -> None:
    server = ListenerServer(receiver_example.create_app(secret=SECRET, api_key=API_KEY, db_path=tmp_path / "a.db",
                                                        retry_delay=0.05), "127.0.0.1", 0)
    await server.start()
    app, store = make_app(tmp_path, CONFIG, api_key=API_KEY)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_forge(pilot, app, server.url)
            screen.query_one("#forge-callback-answer", Input).value = "500x2"
            await pilot.press("ctrl+s")
            events = app.query_one(EventList)
            await until(pilot, lambda: events.window.count == 4)  # the event, then three callbacks
            await until(pilot, lambda: "#4" in text_of(app, "detail-overview"))
            await until(pilot, lambda: "completed" in text_of(app, "detail-round-trip"))
            trip = text_of(app, "detail-round-trip")
            assert "Attempt 1   {data, task_id, metadata} → answered 500 (as told)" in trip
            assert "Attempt 2   {data, task_id, metadata} → answered 500 (as told)" in trip
            assert "Attempt 3   {data, task_id, metadata} → answered 200" in trip
    finally:
        await server.stop()
        store.close()


async def test_forge_screen_rejects_a_bad_callback_plan(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, CONFIG, api_key=API_KEY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_forge(pilot, app, "http://127.0.0.1:9")
        screen.query_one("#forge-callback-delay", Input).value = "later"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "expected seconds" in str(screen.query_one("#forge-error").content))
        assert isinstance(app.screen, ForgeScreen)
    store.close()


async def test_forge_screen_uses_the_tunnel_url_for_the_callback(tmp_path: Path, fake_binaries: Path) -> None:
    db = guides.Database()
    server, url = await guides.serve(guides.convex(SECRET, API_KEY, db))  # an app "in the cloud"
    app, store = make_app(tmp_path, CONFIG, api_key=API_KEY, tunnels=("cloudflare",))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: any(t["status"] == "online" for t in app.engine.tunnels.states()))
            public = app.engine.tunnels.states()[0]["public_url"]
            db.internet[urlsplit(public).hostname] = f"http://127.0.0.1:{int(fake_binaries.read_text())}"
            screen = await open_forge(pilot, app, url)
            assert screen.callback_base == public
            assert "callback_url" in screen.query_one("#forge-body", TextArea).text
            await pilot.press("ctrl+s")
            events = app.query_one(EventList)
            await until(pilot, lambda: events.window.count == 2)
            await until(pilot, lambda: "#2" in text_of(app, "detail-overview"))
            await until(pilot, lambda: "completed" in text_of(app, "detail-round-trip"))
    finally:
        await server.stop()
        store.close()
    assert db.callbacks[0]["status"] == 200


async def test_probe_button_shows_the_scorecard(tmp_path: Path) -> None:
    db = guides.Database()
    server, url = await guides.serve(guides.reencoding(SECRET, API_KEY, db, style="javascript"))
    app, store = make_app(tmp_path, CONFIG, api_key=API_KEY)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_forge(pilot, app, url)
            screen.query_one("#forge-secret", Input).value = SECRET
            await pilot.click("#forge-probe")
            await until(pilot, lambda: isinstance(app.screen, ProbeScreen), timeout=60)
            card = str(app.screen.query_one("#probe-scorecard").content)
    finally:
        await server.stop()
        store.close()
    assert "FAIL  signed event" in card and "FAIL  re-encoded signature" in card
    assert "PASS  wrong secret" in card and "fix: verify the raw bytes" in card


async def test_forging_a_loopback_callback_to_a_remote_app_warns(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, CONFIG, api_key=API_KEY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_forge(pilot, app, "http://0.0.0.0:9/webhooks/modelriver")  # not loopback; refused here
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("which 0.0.0.0 cannot reach: use --tunnel" in str(n.message)
                                       for n in app._notifications))
        assert screen is not None
    store.close()
