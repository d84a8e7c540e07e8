"""Snapshot tests of the main screens. Each plays the scenario of tests/scenario.py through the app's own listeners
(real HTTP, real workflow runs, a real review service) with a fixed clock and fixed run ids, then fixes the
ephemeral ports, so the screens are the same on every run. Update after a deliberate UI change with
`pytest tests/test_tui_snapshots.py --snapshot-update`, and look at the SVGs before committing them."""

from __future__ import annotations

import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import hookdeck_tui.workflows.runner as runner
from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.listener.pipeline import VerifyDefaults
from hookdeck_tui.store import Store
from hookdeck_tui.tui.app import HooktuiApp
from hookdeck_tui.tui.help import HelpScreen
from hookdeck_tui.tui.widgets.bottom import BottomTabs
from hookdeck_tui.tui.widgets.detail import DetailPane
from hookdeck_tui.tui.widgets.event_list import EventList
from hookdeck_tui.tui.widgets.status_bar import StatusBar
from tests.receiver import Receiver
from tests.scenario import CONFIG, GITHUB_SECRET, SECRET, ManualClock, Urls, freeze, play

SIZE = (140, 44)
FIXED_LISTENERS = [8090, 8091, 8092]
FIXED_REVIEW = 9000


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def fixed_run_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    numbers = iter(range(1, 1000))
    monkeypatch.setattr(runner, "new_run_id", lambda: f"run_{next(numbers):04d}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scenario_app(tmp_path: Path, then: Callable[[HooktuiApp, object], Awaitable[None]] | None = None):
    """The app over a fresh store with a manual clock, and the run_before that plays the scenario into it."""
    review = Receiver(answers=[(202, b'{"queued": true}')], port=free_port())
    clock = ManualClock()
    store = Store(tmp_path / "snap.db", clock=clock)
    config = parse_config(CONFIG.format(review_url=f"http://127.0.0.1:{review.port}/reviews"), "demo.yaml")
    app = HooktuiApp(Console(config, store, inspection_port=None,
                             verify_defaults=VerifyDefaults(None, [SECRET, GITHUB_SECRET])))

    async def run_before(pilot) -> None:
        await review.start()
        engine = app.engine
        await play(Urls(*engine.listener_urls), store, tick=clock.tick)
        await review.stop()
        events = app.query_one(EventList)
        while events.window.count < 6:
            await pilot.pause(0.02)
        await app._apply_batch()  # whatever the bus still held: from here on, nothing moves but what this test does
        ports = {server.port: fixed for server, fixed in zip(engine.servers, FIXED_LISTENERS, strict=True)}
        freeze(store, {**ports, review.port: FIXED_REVIEW})
        status = app.query_one(StatusBar)
        status.listeners = [f"http://127.0.0.1:{port}" for port in FIXED_LISTENERS]
        status._arrivals.clear()  # the rate depends on how fast this machine played the scenario
        events.window.invalidate()
        await events.window.load(0, events.window.count - 1)  # the rows shown, read again as frozen
        events.refresh()
        bottom = app.query_one(BottomTabs)
        bottom.refresh_runs()
        bottom.query_one("#runs").highlighted = 0  # the newest run
        app.query_one(DetailPane).show(store.get(events.window.row(events.cursor).id))
        status.redraw()
        await pilot.pause()
        if then is not None:
            await then(app, pilot)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    return app, run_before


async def select(app: HooktuiApp, pilot, event_id: int, tab: str) -> None:
    events = app.query_one(EventList)
    events.cursor = next(i for i in range(events.window.count) if events.window.row(i).id == event_id)
    app.query_one("#detail-tabs").active = f"tab-{tab}"
    detail = app.query_one(DetailPane)
    while detail.event is None or detail.event.id != event_id:
        await pilot.pause(0.02)


def test_main_screen(snap_compare, tmp_path: Path) -> None:
    app, run_before = scenario_app(tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_main_screen_with_history(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    """The history's newest event under the cursor; at 80×24 the bottom panes give way to 8 listed events."""
    app, run_before = scenario_app(tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def invalid(app, pilot) -> None:
    await select(app, pilot, 4, "signature")
    signature = app.query_one("#detail-signature")
    while "diagnosing" in str(signature.content) or "likely" not in str(signature.content):
        await pilot.pause(0.02)  # the diagnosis is computed in a worker thread, then the tab is redrawn


def test_invalid_signature_tab(snap_compare, tmp_path: Path) -> None:
    app, run_before = scenario_app(tmp_path, invalid)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_invalid_signature_tab_at_80x24(snap_compare, tmp_path: Path) -> None:
    app, run_before = scenario_app(tmp_path, invalid)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_invalid_signature_tab_at_160x45_in_a_light_theme(snap_compare, tmp_path: Path) -> None:
    async def light(app, pilot) -> None:
        app.theme = "textual-light"
        await invalid(app, pilot)
        await pilot.pause()

    app, run_before = scenario_app(tmp_path, light)
    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


def test_callback_resuming_a_run(snap_compare, tmp_path: Path) -> None:
    async def callback(app, pilot) -> None:
        await select(app, pilot, 3, "workflow")

    app, run_before = scenario_app(tmp_path, callback)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_workflows_pane_with_a_waiting_run(snap_compare, tmp_path: Path) -> None:
    async def workflows(app, pilot) -> None:
        runs = app.query_one("#runs")
        runs.focus()
        runs.highlighted = 1  # newest first: run_0002, still waiting for its review
        while "run_0002" not in str(app.query_one("#run-timeline").content):
            await pilot.pause(0.02)
        await pilot.pause(0.1)

    app, run_before = scenario_app(tmp_path, workflows)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, tmp_path: Path) -> None:
    async def help_screen(app, pilot) -> None:
        await pilot.press("question_mark")
        while not isinstance(app.screen, HelpScreen):
            await pilot.pause(0.02)

    app, run_before = scenario_app(tmp_path, help_screen)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

