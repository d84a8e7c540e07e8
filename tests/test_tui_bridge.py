"""The one bridge from the engine's bus to Textual, driven with Pilot: whatever the bus says between two frames
reaches the app as one Textual message, in order — a burst of thousands is one batch, never thousands of
messages for the UI thread."""

from __future__ import annotations

from pathlib import Path

from hookdeck_tui.messages import LogLine, TunnelLogLine
from hookdeck_tui.tui.bridge import EngineBatch
from tests.test_tui import SIZE, make_app, until


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
