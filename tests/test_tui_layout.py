"""The console in a small terminal (80×24) and a big one (160×45), driven with Pilot against a real listener: how
many events the list shows, the bottom pane's key, the help and the dialogs scrolling to their last line, the
detail's tab keys, the filter line, ctrl+c, and toasts that do not pile up."""

from __future__ import annotations

import io
import re
import socket

import pytest
from rich.console import Console as RichConsole
from textual import events
from textual.containers import VerticalScroll
from textual.widgets import Footer, Input, Static, TabbedContent, TextArea
from textual.widgets._footer import FooterKey

from hookdeck_tui.store import EventFilter
from hookdeck_tui.tui.app import HooktuiApp
from hookdeck_tui.tui.export_screen import ExportScreen
from hookdeck_tui.tui.forge_screen import ForgeScreen, ProbeScreen
from hookdeck_tui.tui.help import HelpScreen
from hookdeck_tui.tui.replay_screen import ReplayScreen
from hookdeck_tui.tui.widgets.bottom import BottomTabs
from hookdeck_tui.tui.widgets.detail import TABS, DetailPane
from hookdeck_tui.tui.widgets.event_list import EventList
from hookdeck_tui.tui.widgets.line_text import LineText
from hookdeck_tui.tui.widgets.status_bar import StatusBar
from tests.test_tui import make_app, post, until

SMALL, BIG = (80, 24), (160, 45)


async def fill(app: HooktuiApp, pilot, n: int) -> EventList:
    url = app.engine.listener_urls[0]
    for i in range(n):
        await post(url, f"/n/{i}", b'{"n": %d}' % i)
    events = app.query_one(EventList)
    await until(pilot, lambda: events.window.count == n and app.query_one(DetailPane).event is not None)
    await pilot.pause()
    return events


def rows_shown(events: EventList) -> int:
    """The events drawn in the list's visible lines (not its header, not a scrollbar's row)."""
    lines = [events.render_line(y).text for y in range(events.scrollable_content_region.height)]
    return sum(1 for line in lines if re.match(r"\s*\d+ \d\d:\d\d", line))


async def test_a_small_terminal_lists_8_events_and_b_shows_the_bottom_pane(tmp_path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        events = await fill(app, pilot, 12)
        bottom, detail = app.query_one(BottomTabs), app.query_one(DetailPane)
        assert rows_shown(events) >= 8
        assert not bottom.display and detail.region.height >= 8  # the detail has the rest: its tabs and 6+ lines
        footer_keys = [key.description for key in app.screen.query(FooterKey) if key.region.right <= SMALL[0]]
        assert footer_keys[:4] == ["Quit", "Help", "Filter", "Panes"]  # on screen, not cut off
        await pilot.resize_terminal(*BIG)  # the terminal grows: every pane shows
        await until(pilot, lambda: bottom.display and bottom.region.height == 10)
        await pilot.resize_terminal(*SMALL)
        await until(pilot, lambda: not bottom.display)
        await pilot.press("b")
        await until(pilot, lambda: bottom.display and bottom.region.height >= 5)
        assert rows_shown(events) >= 8 and detail.region.height >= 5
        await pilot.press("b")
        await until(pilot, lambda: not bottom.display)
        await pilot.resize_terminal(*BIG)  # hidden with `b`, it stays hidden
        await pilot.pause()
        assert not bottom.display
        await pilot.press("q")
    store.close()


async def test_a_big_terminal_shows_every_pane(tmp_path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=BIG) as pilot:
        events = await fill(app, pilot, 30)
        bottom, detail = app.query_one(BottomTabs), app.query_one(DetailPane)
        assert bottom.display and bottom.region.height == 10
        assert rows_shown(events) >= 12 and detail.region.height >= 14  # the list and the detail share the rest
        await pilot.press("b")  # hidden on request, the list and the detail share its rows
        await until(pilot, lambda: not bottom.display)
        await pilot.press("q")
    store.close()


async def test_the_help_scrolls_to_its_last_key_and_lists_the_new_ones(tmp_path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        scroller = app.screen.query_one("#help", VerticalScroll)
        assert scroller.max_scroll_y > 0 and scroller.region.bottom <= SMALL[1] - 1  # above its footer
        buffer = io.StringIO()
        RichConsole(file=buffer, width=200).print(app.screen.query_one("#help-keys", Static).content)
        text = buffer.getvalue()
        for description in ("Panes", "Previous tab", "Next tab", "Edit & replay", "Restart tunnel", "ctrl+c"):
            assert description in text
        await pilot.press("end")
        await until(pilot, lambda: scroller.scroll_y == scroller.max_scroll_y)
        await pilot.press("home")
        await until(pilot, lambda: scroller.scroll_y == 0)
        scroller.post_message(events.MouseScrollDown(scroller, 5, 5, 0, 1, 0, False, False, False,
                                                     screen_x=5, screen_y=5))  # the wheel
        await until(pilot, lambda: scroller.scroll_y > 0)
        assert [key.description for key in app.screen.query(FooterKey)] == ["Close"]  # its own keys
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen))
        await pilot.press("q")
    store.close()


async def dialog_fits(app: HooktuiApp, pilot, dialog_id: str, last: str | None, keys: list[str]) -> None:
    """The dialog is inside the terminal, shows its own keys, and scrolls to its last widget when it has the focus
    (the way Tab reaches it)."""
    await pilot.pause()
    screen = app.screen
    dialog = screen.query_one(dialog_id, VerticalScroll)
    width, height = app.size
    assert dialog.region.right <= width and dialog.region.bottom <= height - 1  # the footer's row stays free
    assert [key.description for key in screen.query_one(Footer).query(FooterKey)] == keys
    if last is None:
        return
    target = screen.query_one(last)
    target.focus()
    await until(pilot, lambda: dialog.content_region.contains_region(target.region))


@pytest.mark.parametrize("size", [SMALL, BIG])
async def test_each_dialog_fits_scrolls_to_its_buttons_and_shows_its_keys(tmp_path, size) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await fill(app, pilot, 1)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        await dialog_fits(app, pilot, "#replay", "#replay-send", ["Send", "Cancel"])
        resign = app.screen.query_one("#replay-resign")
        assert app.screen.query_one("#replay").content_region.contains_region(resign.region)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ReplayScreen))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ForgeScreen))
        await dialog_fits(app, pilot, "#forge", "#forge-probe", ["Send", "Probe", "Cancel"])
        assert app.screen.query_one("#forge-delivery").region.width >= 20  # it once shrank to one column
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ForgeScreen))
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        await dialog_fits(app, pilot, "#export", "#export-path", ["Cancel"])
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ExportScreen))
        app.push_screen(ProbeScreen([f"check {n}: ✓" for n in range(60)]))
        await until(pilot, lambda: isinstance(app.screen, ProbeScreen))
        await dialog_fits(app, pilot, "#probe", None, ["Close"])
        scorecard = app.screen.query_one("#probe", VerticalScroll)
        await pilot.press("end")
        await until(pilot, lambda: scorecard.scroll_y == scorecard.max_scroll_y > 0)
        await pilot.press("escape")
        await pilot.press("q")
    store.close()


async def test_bracket_keys_change_the_detail_tab(tmp_path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await fill(app, pilot, 1)
        tabs = app.query_one("#detail-tabs", TabbedContent)
        names = [f"tab-{name}" for _, name in TABS]
        assert tabs.active == names[0]
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: tabs.active == names[1])
        headers = app.query_one("#detail-headers", LineText)
        assert "user-agent: python-httpx" in str(headers.content)  # drawn when opened
        await pilot.press("left_square_bracket", "left_square_bracket")
        await until(pilot, lambda: tabs.active == names[-1])  # round the strip
        await pilot.press("q")
    store.close()


async def test_enter_applies_the_filter_and_hides_its_line(tmp_path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        events = await fill(app, pilot, 3)
        field = app.query_one("#filter", Input)
        await pilot.press("slash", *"/n/1", "enter")
        await until(pilot, lambda: events.window.count == 1)
        await until(pilot, lambda: not field.display and events.has_focus)
        assert events.border_title == "filter: /n/1  (/ edits it)"  # the applied filter stays in sight
        await pilot.press("slash")  # back, with its text, focused: typing edits it
        await until(pilot, lambda: field.display and field.has_focus)
        assert field.value == "/n/1"
        await pilot.press("escape")
        await until(pilot, lambda: events.window.count == 3 and not field.display)
        assert not events.border_title
        await pilot.press("q")
    store.close()


def port_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


async def test_ctrl_c_stops_the_listener_and_quits(tmp_path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await fill(app, pilot, 1)
        port = int(app.engine.listener_urls[0].rpartition(":")[2])
        await pilot.press("ctrl+c")
        await until(pilot, lambda: port_closed(port) and app._exit)  # the listener went with the app
    store.close()


async def test_repeated_keys_leave_one_toast(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app, store = make_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await fill(app, pilot, 1)
        for _ in range(4):
            await pilot.press("y")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["body of #1 copied (8 bytes)"]
        for message in ("a warning", "another warning", "a warning"):  # twice the same: one toast
            app.notify(message, severity="warning")
            await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert shown == ["body of #1 copied (8 bytes)", "another warning", "a warning"]  # warnings stay
        await pilot.press("q")
    store.close()



async def test_a_dialogs_error_line_comes_into_sight(tmp_path) -> None:
    """ctrl+s from the first field of a form taller than the terminal: the error is at the form's end, and shown."""
    app, store = make_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await fill(app, pilot, 1)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        await pilot.pause()
        app.screen.query_one("#replay-headers", TextArea).text = "not a header line"
        app.screen.query_one("#replay-to", Input).focus()
        await pilot.press("ctrl+s")
        dialog, error = app.screen.query_one("#replay"), app.screen.query_one("#replay-error", Static)
        await until(pilot, lambda: "is not 'Name: value'" in str(error.render()))
        await until(pilot, lambda: dialog.content_region.contains_region(error.region))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ReplayScreen))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ForgeScreen))
        await pilot.pause()
        app.screen.query_one("#forge-body", TextArea).text = "{not json"
        app.screen.query_one("#forge-to", Input).focus()
        await pilot.press("ctrl+s")
        dialog, error = app.screen.query_one("#forge"), app.screen.query_one("#forge-error", Static)
        await until(pilot, lambda: "the body is not JSON" in str(error.render()))
        await until(pilot, lambda: dialog.content_region.contains_region(error.region))
        app.screen.query_one("#forge-scheme", Input).value = "none"
        await pilot.press("ctrl+r")  # the Probe button's key
        await until(pilot, lambda: "probe checks a signature" in str(error.render()))
        await pilot.press("escape")
        await pilot.press("q")
    store.close()


@pytest.mark.parametrize("query", ["method:POST path:/x 'two words'", "status:4xx verdict:invalid", "charge", "",
                                   "sent:yes origin:replay route:'capture *'"])
def test_the_list_title_says_the_filter_in_words_that_parse_back(query: str) -> None:
    applied = EventFilter.parse(query)
    assert EventFilter.parse(applied.query()) == applied


async def test_a_long_tunnel_url_never_pushes_the_counters_off_the_status_bar(tmp_path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        status = app.query_one(StatusBar)
        url = "https://" + "a-rather-long-quick-tunnel-name-" * 3 + "x.trycloudflare.com"
        status.tunnels["cloudflare :8090"] = {"name": "cloudflare :8090", "status": "online", "public_url": url}
        status.redraw()
        await pilot.pause()
        first, second = [strip.text for strip in status.render_lines(status.region.reset_offset)][:2]
        assert first.rstrip().endswith("…") and len(first.rstrip()) <= SMALL[0]
        assert second.startswith(" 0 events  ✓ 0 valid  ✗ 0 invalid")
        await pilot.press("q")
    store.close()
