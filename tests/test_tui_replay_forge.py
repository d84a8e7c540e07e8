"""The console's replay and forge keys, driven with Pilot against real listeners and a real receiver: `r` replays
the selected request to the app it is forwarded to (or back into hooktui), `e` edits and re-signs first, `s` forges
a ModelRiver event whose callback comes back to this console and fills the Round trip tab."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from textual.widgets import Checkbox, Input, Select, TextArea

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.listener.server import ListenerServer
from hookdeck_tui.signatures import SignedRequest, sign_body, verify_request
from hookdeck_tui.store import Store
from hookdeck_tui.tui.app import HooktuiApp
from hookdeck_tui.tui.forge_screen import ForgeScreen
from hookdeck_tui.tui.replay_screen import ReplayScreen
from hookdeck_tui.tui.widgets.event_list import EventList
from tests.receiver import Receiver
from tests.test_round_trip import receiver_example
from tests.test_tui import SIZE, post, text_of, until

SECRET = "whsec_tui_demo"
API_KEY = "mr_tui_key"


def make_app(tmp_path: Path, yaml_text: str, **console) -> tuple[HooktuiApp, Store]:
    store = Store(tmp_path / "tui.db")
    engine = Console(parse_config(yaml_text, "t.yaml"), store, inspection_port=None, **console)
    return HooktuiApp(engine), store


async def test_r_replays_to_the_forward_target_and_shows_the_answer_next_to_the_original(tmp_path: Path) -> None:
    receiver = Receiver(answers=[(200, b'{"first":true}'), (202, b'{"again":true}')])
    app_url = await receiver.start()
    app, store = make_app(tmp_path, "listener: {type: capture, port: 0}\n", forward_to=app_url)
    try:
        async with app.run_test(size=SIZE) as pilot:
            body = b'{"type":"task.completed"}'
            await post(app.engine.listener_urls[0], "/webhooks/modelriver", body,
                       dict(sign_body(body, scheme="modelriver", secret=SECRET)))
            events = app.query_one(EventList)
            await until(pilot, lambda: events.window.count == 1 and len(receiver.requests) == 1)
            await until(pilot, lambda: "#1" in text_of(app, "detail-overview"))
            await pilot.press("r")
            await until(pilot, lambda: events.window.count == 2 and len(receiver.requests) == 2)
            assert receiver.requests[1].body == body
            replayed = store.get(2)
            assert replayed.origin == "replay" and replayed.origin_ref == 1 and replayed.response_status == 202
            await pilot.press("up")
            await until(pilot, lambda: "#1" in text_of(app, "detail-overview"))
            assert "Replay      #2" in text_of(app, "detail-overview") and "→ 202" in text_of(app, "detail-overview")
            await pilot.press("down")
            await until(pilot, lambda: "#2" in text_of(app, "detail-overview"))
            assert "replay of #1" in text_of(app, "detail-overview")
            forward = text_of(app, "detail-forward")
            assert "replay  http://127.0.0.1:" in forward and "→ 202" in forward and '"again": true' in forward
    finally:
        await receiver.stop()
        store.close()


async def test_e_edits_and_resigns_then_replays_into_the_listener(tmp_path: Path) -> None:
    config = f"listener: {{type: capture, port: 0, verify: {{scheme: modelriver, secret: {SECRET}}}}}\n"
    app, store = make_app(tmp_path, config)
    async with app.run_test(size=SIZE) as pilot:
        body = b'{"n":1}'
        await post(app.engine.listener_urls[0], "/in", body, dict(sign_body(body, scheme="modelriver",
                                                                           secret=SECRET)))
        events = app.query_one(EventList)
        await until(pilot, lambda: "#1" in text_of(app, "detail-overview"))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        screen = app.screen
        assert screen.query_one("#replay-to", Input).value == "listener"  # no forward target: back into hooktui
        screen.query_one("#replay-target", Input).value = "/edited?x=1"
        screen.query_one("#replay-body", TextArea).text = '{"n":2}'
        screen.query_one("#replay-resign", Checkbox).value = True
        await pilot.press("ctrl+s")
        await until(pilot, lambda: events.window.count == 2)
        again = store.get(2)
        assert (again.path, again.query, again.body) == ("/edited", "x=1", b'{"n":2}')
        assert again.origin == "replay" and again.origin_ref == 1
        assert again.signature.status == "valid"  # the listener itself checked the fresh signature
        plain = verify_request(SignedRequest(again.body, store.get(1).headers), scheme="modelriver", secrets=[SECRET])
        assert plain.status == "invalid"  # the old signature would not have covered the edited body
    store.close()


async def test_the_replay_toast_says_the_answer_and_the_signature_verdict(tmp_path: Path) -> None:
    """After `r` (as captured) and `e` (body edited, re-signing unticked), the toast says what the app answered and
    whether the replay's signature still verifies with the route's secret."""
    receiver = Receiver(answers=[(200, b"{}")] * 3)
    app_url = await receiver.start()
    config = f"listener: {{type: capture, port: 0, verify: {{scheme: modelriver, secret: {SECRET}}}}}\n"
    app, store = make_app(tmp_path, config, forward_to=app_url)

    def toasts() -> list[str]:
        return [str(n.message) for n in app._notifications if n.title == "Replay"]

    try:
        async with app.run_test(size=SIZE) as pilot:
            body = b'{"type":"task.completed"}'
            await post(app.engine.listener_urls[0], "/hooks/mr", body,
                       dict(sign_body(body, scheme="modelriver", secret=SECRET)))
            await until(pilot, lambda: "#1" in text_of(app, "detail-overview") and len(receiver.requests) == 1)
            await pilot.press("r")
            await until(pilot, lambda: len(toasts()) == 1)
            assert toasts()[0].startswith("replay of #1 → #2: POST ")
            assert " → 200 in " in toasts()[0] and toasts()[0].endswith("; signature valid (modelriver)")
            await until(pilot, lambda: "replay of #1" in text_of(app, "detail-overview"))  # the list follows: #2
            await pilot.press("e")
            await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
            app.screen.query_one("#replay-body", TextArea).text = '{"type":"task.failed"}'
            resign = app.screen.query_one("#replay-resign", Checkbox)
            await until(pilot, lambda: resign.value)  # an edited signed body is re-signed by default...
            resign.value = False  # ...unless the user says not to
            await pilot.pause()
            await pilot.press("ctrl+s")
            await until(pilot, lambda: len(toasts()) == 2)
            assert toasts()[1].startswith("replay of #2 → #3: ") and " → 200 in " in toasts()[1]
            assert "; signature invalid: " in toasts()[1]
            assert [n.severity for n in app._notifications if n.title == "Replay"] == ["information", "warning"]
    finally:
        await receiver.stop()
        store.close()


async def test_s_forges_a_modelriver_event_and_the_round_trip_tab_shows_the_callback(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    server = ListenerServer(receiver_example.create_app(secret=SECRET, api_key=API_KEY, db_path=db), "127.0.0.1", 0)
    await server.start()
    app, store = make_app(tmp_path, "listener: {type: capture, port: 0, verify: {scheme: modelriver, secret: "
                                    f"{SECRET}}}}}\n", api_key=API_KEY)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, ForgeScreen))
            screen = app.screen
            assert screen.query_one("#forge-scheme", Input).value == "modelriver"
            screen.query_one("#forge-to", Input).value = server.url
            body = json.loads(screen.query_one("#forge-body", TextArea).text)
            body["ai_response"]["data"]["title"] = "From the forge screen"
            screen.query_one("#forge-body", TextArea).text = json.dumps(body)
            await pilot.press("ctrl+s")
            events = app.query_one(EventList)
            await until(pilot, lambda: events.window.count == 2)  # the forged event, then the app's callback
            forged, callback = store.get(1), store.get(2)
            assert forged.origin == "forged" and forged.response_status == 200
            assert callback.origin == "callback" and callback.origin_ref == 1
            await until(pilot, lambda: "#2" in text_of(app, "detail-overview"))
            await until(pilot, lambda: "completed" in text_of(app, "detail-round-trip"))
            trip = text_of(app, "detail-round-trip")
            assert "Bearer token ok" in trip and "{data, task_id, metadata} ✓" in trip
            assert "Added       data.id = 1" in trip and "data.saved_at" in trip
            await pilot.press("up")
            await until(pilot, lambda: "#1" in text_of(app, "detail-overview"))
            assert "completed" in text_of(app, "detail-round-trip")
            assert "Forged      modelriver.task_ai_generated" in text_of(app, "detail-overview")
            assert "Callback    #2" in text_of(app, "detail-overview")
    finally:
        await server.stop()
        store.close()
    title = sqlite3.connect(db).execute("SELECT title FROM ai_content").fetchone()
    assert title == ("From the forge screen",)


async def test_forge_screen_switches_templates_and_reports_bad_input(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, "listener: {type: capture, port: 0}\n")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ForgeScreen))
        screen = app.screen
        screen.query_one("#forge-template", Select).value = "slack.command"
        await until(pilot, lambda: screen.query_one("#forge-scheme", Input).value == "slack")
        assert json.loads(screen.query_one("#forge-body", TextArea).text)["command"] == "/weather"
        screen.query_one("#forge-body", TextArea).text = "{not json"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "the body is not JSON" in str(screen.query_one("#forge-error").content))
        screen.query_one("#forge-body", TextArea).text = "{}"
        screen.query_one("#forge-scheme", Input).value = "stripe"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "needs a secret" in str(screen.query_one("#forge-error").content))
        screen.query_one("#forge-scheme", Input).value = "none"
        await pilot.press("ctrl+s")  # unsigned, to hooktui's own listener
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 2)  # what was sent, and what the listener captured
        assert {store.get(1).origin, store.get(2).origin} == {"forged", "external"}
    store.close()
