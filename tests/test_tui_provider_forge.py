"""The forge screen delivers like a provider too: its retry schedule (compressed) or a duplicate, driven with
Pilot against a real receiver; each attempt shows up in the list."""

from __future__ import annotations

import json
from pathlib import Path

from slack_sdk.signature import SignatureVerifier
from textual.widgets import Input, Select

from hookdeck_tui.tui.forge_screen import ForgeScreen
from hookdeck_tui.tui.widgets.event_list import EventList
from tests.receiver import Receiver
from tests.test_tui import SIZE, until
from tests.test_tui_replay_forge import make_app

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


async def _forge(pilot, app, template: str, url: str, delivery: str, scale: str = "1",
                 scheme: str | None = None) -> ForgeScreen:
    await pilot.press("s")
    await until(pilot, lambda: isinstance(app.screen, ForgeScreen))
    screen = app.screen
    screen.query_one("#forge-template", Select).value = template
    await until(pilot, lambda: screen.query_one("#forge-scheme", Input).value ==
                (scheme or template.split(".")[0]))
    screen.query_one("#forge-to", Input).value = url
    screen.query_one("#forge-secret", Input).value = SECRET
    screen.query_one("#forge-delivery", Select).value = delivery
    screen.query_one("#forge-time-scale", Input).value = scale
    await pilot.press("ctrl+s")
    return screen


async def test_forge_screen_retries_as_slack_until_the_app_answers(tmp_path: Path) -> None:
    receiver = Receiver(answers=[(500, b"{}"), (200, b"{}")])
    url = await receiver.start()
    app, store = make_app(tmp_path, "listener: {type: capture, port: 0}\n")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _forge(pilot, app, "slack.app_mention", url, "provider", "0.001")
            events = app.query_one(EventList)
            await until(pilot, lambda: events.window.count == 2)
            assert [store.get(i).meta["attempt"]["number"] for i in (1, 2)] == [1, 2]
    finally:
        await receiver.stop()
        store.close()
    first, retry = (dict(r.headers) for r in receiver.requests)
    assert "x-slack-retry-num" not in first and retry["x-slack-retry-num"] == "1"
    assert json.loads(receiver.requests[0].body) == json.loads(receiver.requests[1].body)
    assert SignatureVerifier(SECRET).is_valid(receiver.requests[1].body, retry["x-slack-request-timestamp"],
                                              retry["x-slack-signature"])


async def test_forge_screen_sends_a_duplicate_and_refuses_a_provider_without_a_schedule(tmp_path: Path) -> None:
    receiver = Receiver()
    url = await receiver.start()
    app, store = make_app(tmp_path, "listener: {type: capture, port: 0}\n")
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await _forge(pilot, app, "generic.json", url, "provider", scheme="none")
            await until(pilot, lambda: "no provider schedule" in str(screen.query_one("#forge-error").content))
            screen.query_one("#forge-delivery", Select).value = "duplicate"
            await pilot.press("ctrl+s")
            events = app.query_one(EventList)
            await until(pilot, lambda: events.window.count == 2)
    finally:
        await receiver.stop()
        store.close()
    assert len(receiver.requests) == 2 and receiver.requests[0].body == receiver.requests[1].body


async def test_forge_screen_says_why_a_time_scale_is_not_one(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, "listener: {type: capture, port: 0}\n")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _forge(pilot, app, "slack.app_mention", "http://127.0.0.1:9", "provider", "soon")
        await until(pilot, lambda: "`soon` is not a time scale" in str(screen.query_one("#forge-error").content))
        assert app.query_one(EventList).window.count == 0  # nothing sent
        await pilot.press("escape", "q")
    store.close()
