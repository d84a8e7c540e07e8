"""The console's `a` key with Textual's Pilot: it cycles the selected event's route answer (200 → 500 → slow → no
answer → app), the status bar says which, and the next real request gets that answer."""

from __future__ import annotations

from pathlib import Path

import httpx

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.store import Store
from hookdeck_tui.tui.app import HooktuiApp
from hookdeck_tui.tui.widgets.status_bar import StatusBar
from tests.receiver import Receiver
from tests.test_tui import SIZE, post, text_of, until


def status_text(app: HooktuiApp) -> str:
    return str(app.query_one(StatusBar).content)


async def test_a_cycles_the_route_answer_and_requests_get_it(tmp_path: Path) -> None:
    receiver = Receiver(answers=[(202, b'{"from": "app"}')])
    app_url = await receiver.start()
    store = Store(tmp_path / "tui.db")
    engine = Console(parse_config("listener: {type: capture, port: 0}\n", "t.yaml"), store, inspection_port=None,
                     forward_to=app_url)
    app = HooktuiApp(engine)
    delays: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        delays.append(seconds)

    try:
        async with app.run_test(size=SIZE) as pilot:
            url = engine.listener_urls[0]
            engine.pipelines[0].simulation.sleep = recorded_sleep
            assert (await post(url, "/hook")).status_code == 200
            await until(pilot, lambda: app.selected_event() is not None)
            assert "answer:" not in status_text(app)

            await pilot.press("a")
            assert "answer: capture * / → 500" in status_text(app)
            first = await post(url, "/hook")
            assert first.status_code == 500
            assert store.get(int(first.headers["x-hooktui-event"])).meta["simulated"]["status"] == 500
            await pilot.press("end")
            await until(pilot, lambda: "Simulated   answered 500 (as configured)" in text_of(app, "detail-overview"))

            await pilot.press("a")
            assert "→ slow" in status_text(app)
            assert (await post(url, "/hook")).status_code == 200 and delays == [5.0]

            await pilot.press("a")
            assert "→ no answer" in status_text(app)
            async with httpx.AsyncClient(timeout=0.3) as client:
                try:
                    await client.post(url + "/hook", content=b"{}")
                    raise AssertionError("a hanging route answered")
                except httpx.ReadTimeout:
                    pass
            await until(pilot, lambda: store.count() == 4)

            await pilot.press("a")
            assert "→ app" in status_text(app)
            answered = await post(url, "/hook")
            assert answered.status_code == 202 and answered.json() == {"from": "app"}

            await pilot.press("a")  # back to the configured answer: the status bar says nothing more
            assert "answer:" not in status_text(app)
            assert (await post(url, "/hook")).status_code == 200
    finally:
        await receiver.stop()
        store.close()


async def test_without_a_forward_target_the_cycle_skips_app(tmp_path: Path) -> None:
    store = Store(tmp_path / "tui.db")
    app = HooktuiApp(Console(parse_config("listener: {type: capture, port: 0}\n", "t.yaml"), store,
                             inspection_port=None))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await post(app.engine.listener_urls[0], "/x")
            await until(pilot, lambda: app.selected_event() is not None)
            seen = []
            for _ in range(4):
                await pilot.press("a")
                seen.append(status_text(app).rpartition("→ ")[2].strip() if "answer:" in status_text(app) else "200")
            assert seen == ["500", "slow", "no answer", "200"]  # (the help lists the key: test_tui's help test)
    finally:
        store.close()
