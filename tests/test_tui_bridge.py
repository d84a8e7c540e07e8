"""The one bridge from the engine's bus to Textual, driven with Pilot: whatever the bus says between two frames
reaches the app as one Textual message, in order — a burst of thousands is one batch, never thousands of
messages for the UI thread."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hookdeck_tui.messages import LogLine, TunnelLogLine
from hookdeck_tui.store.window import EventWindow
from hookdeck_tui.tui.bridge import EngineBatch
from hookdeck_tui.tui.widgets.event_list import EventList
from tests.test_tui import SIZE, make_app, post, until


async def test_a_burst_on_the_bus_reaches_the_app_as_one_batch(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    batches: list[tuple] = []
    async with app.run_test(size=SIZE) as pilot:
        original = app._apply_batch

        async def recorded(messages=None) -> None:  # what the EngineBatch handler hands on, frame by frame
            if messages:
                batches.append(messages)
            await original(messages)

        app._apply_batch = recorded
        for n in range(2000):  # published in one go: no frame can come between them
            app.engine.bus.publish(LogLine("info", f"line {n}"))
        app.engine.bus.publish(TunnelLogLine("cloudflare :1", "last"))
        await until(pilot, lambda: batches)
        assert len(batches) == 1
        messages = batches[0]
        assert len(messages) == 2001 and messages[0] == LogLine("info", "line 0")
        assert messages[-1] == TunnelLogLine("cloudflare :1", "last")
        batch = EngineBatch(messages)
        assert batch.has(TunnelLogLine) and len(list(batch.of(LogLine))) == 2000
        await pilot.press("q")
    store.close()


async def test_a_key_is_answered_while_a_batch_waits_for_the_lists_read(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch waits (briefly) for the list's read on the window's thread; a key pressed meanwhile moves the cursor
    at once instead of queueing behind it."""
    app, store = make_app(tmp_path)
    happened: list[str] = []
    reading = asyncio.Event()
    read = EventWindow.refresh

    async def slow_read(window: EventWindow) -> int:
        if happened:  # the reads after the test's first events
            reading.set()
            await asyncio.sleep(0.5)  # a busy thread, a slow disk
        return await read(window)

    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        for n in range(3):
            await post(url, f"/hook/{n}")
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 3 and events.cursor == 2)
        monkeypatch.setattr(EventWindow, "refresh", slow_read)
        apply_batch = app._apply_batch

        async def recorded(messages=None) -> None:
            await apply_batch(messages)
            happened.append("batch applied")

        app._apply_batch = recorded
        happened.append("start")
        await post(url, "/hook/3")
        await until(pilot, reading.is_set)
        app.simulate_key("up")
        await until(pilot, lambda: events.cursor == 1, timeout=3)
        happened.append("key answered")
        await until(pilot, lambda: "batch applied" in happened, timeout=3)
        assert happened[:3] == ["start", "key answered", "batch applied"]
        await pilot.press("q")
    store.close()
