"""Snapshots of the screens a small terminal used to cut: the help scrolled to its last key, the edit & replay dialog
and the forge dialog, each at 80×24 and 160×45. The scenario of tests/scenario.py fills the console (fixed clock,
ports and run ids: see tests/test_tui_snapshots.py); what a dialog draws from the moment — the forged event's time
and channel, the listener's ephemeral port — is fixed here. Update after a deliberate UI change with
`pytest tests/test_tui_layout_snapshots.py --snapshot-update`, and look at the SVGs before committing them."""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Input

import hookdeck_tui.forge.templates as templates
import hookdeck_tui.tui.forge_screen as forge_screen
from hookdeck_tui.tui.forge_screen import ForgeScreen
from hookdeck_tui.tui.help import HelpScreen
from hookdeck_tui.tui.replay_screen import ReplayScreen
from tests.scenario import START
from tests.test_tui_snapshots import FIXED_LISTENERS, fixed_run_ids, scenario_app, select, utc

__all__ = ["fixed_run_ids", "utc"]  # the autouse fixtures of the main snapshots, used here too

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")]
FIXED_URL = f"http://127.0.0.1:{FIXED_LISTENERS[0]}"


async def until_screen(pilot, kind: type) -> None:
    while not isinstance(pilot.app.screen, kind):
        await pilot.pause(0.02)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_help_scrolled_to_its_end(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def help_end(app, pilot) -> None:
        await pilot.press("question_mark")
        await until_screen(pilot, HelpScreen)
        await pilot.press("end")
        scroller = app.screen.query_one("#help", VerticalScroll)
        while scroller.scroll_y != scroller.max_scroll_y:
            await pilot.pause(0.02)

    app, run_before = scenario_app(tmp_path, help_end)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_edit_and_replay_dialog(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def edit(app, pilot) -> None:
        await select(app, pilot, 1, "overview")  # the signed ModelRiver event
        await pilot.press("e")
        await until_screen(pilot, ReplayScreen)

    app, run_before = scenario_app(tmp_path, edit)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_forge_dialog(snap_compare, tmp_path: Path, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templates, "uuid", SimpleNamespace(uuid4=lambda: uuid.UUID(int=7)))
    monkeypatch.setattr(forge_screen, "time", SimpleNamespace(time=lambda: START))

    async def forge(app, pilot) -> None:
        await pilot.press("s")
        await until_screen(pilot, ForgeScreen)
        app.screen.query_one("#forge-to", Input).value = FIXED_URL  # the listener's port, fixed as in the status bar
        await pilot.pause()

    app, run_before = scenario_app(tmp_path, forge)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
