"""The event list on the real console: its columns under a header (fitted to 80 and 160 columns, cut with `…`, never
touching), the event-type column, the mouse, and a history big enough that reading it must not hold up the loop the
listeners share — its pages are read on the window's own thread, anchored by id."""

from __future__ import annotations

import asyncio
import threading
from itertools import pairwise
from pathlib import Path

import pytest
from textual import events as textual_events
from textual.screen import Screen

from hookdeck_tui.signatures import SignatureVerdict
from hookdeck_tui.store import CapturedEvent, event_pages
from hookdeck_tui.tui.detail_views import answer_badge, verdict_badge
from hookdeck_tui.tui.theme_styles import DARK
from hookdeck_tui.tui.widgets import event_list as event_list_module
from hookdeck_tui.tui.widgets.event_columns import cells
from hookdeck_tui.tui.widgets.event_list import EventList
from tests.receiver import Receiver
from tests.test_tui import make_app, post, text_of, until, write_history

LONG_PATH = "/webhooks/modelrivertrigger/" + "deep/" * 30 + "end"


def shown(events: EventList) -> list[str]:
    """The list's lines as drawn: the header, then the rows in view."""
    return [events.render_line(y).text for y in range(events.scrollable_content_region.height)]


def titles(header: str) -> list[tuple[int, int, str]]:
    """(start, end, title) of each column title in the header line."""
    found, start = [], None
    for x, char in enumerate(header + " "):
        if char != " " and start is None:
            start = x
        elif char == " " and start is not None:
            found.append((start, x, header[start:x]))
            start = None
    return found


def ids_shown(events: EventList) -> list[int]:
    return [int(line.split()[0]) for line in shown(events)[1:] if line.split() and line.split()[0].isdigit()]


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_the_list_has_a_header_and_columns_that_never_touch(tmp_path: Path, size: tuple[int, int]) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        url = app.engine.listener_urls[0]
        await post(url, "/short", b'{"type": "invoice.paid"}')
        await post(url, LONG_PATH, b'{"event": "task.ai_generated"}')
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 2 and ids_shown(events)[-1:] == [2])
        lines = shown(events)
        header = [title for _, _, title in titles(lines[0])]
        assert header[:3] == ["#", "time", "method"] and "type" in header and "path" in header
        assert ("route" in header and "forward" in header) == (size[0] >= 160)  # left out of a narrow list
        rows = [line for line in lines[1:] if line.strip()]
        spots = titles(lines[0])
        for (_, end, left), (start, _, right) in pairwise(spots):
            # somewhere between two titles, every row has a blank: the columns are apart
            assert any(all(row[x] == " " for row in rows) for x in range(end, start)), (left, right, rows)
        long_row = next(row for row in rows if "/webhooks/modelrivertrigger/" in row)
        path = next(word for word in long_row.split() if word.startswith("/webhooks/"))
        assert path.endswith("…") and LONG_PATH.startswith(path[:-1]) and LONG_PATH not in long_row
        await pilot.press("q")
    store.close()


async def test_the_type_column_names_a_github_push_from_its_header_and_stripe_and_slack_events_from_their_body(
        tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        url = app.engine.listener_urls[0]
        await post(url, "/github", b'{"ref": "refs/heads/main"}', {"X-GitHub-Event": "push"})
        stripe_body = (b'{"id": "evt_1", "object": "event", "data": {"object": {"id": "ch_1", "type": "card"}}, '
                       b'"type": "charge.succeeded"}')  # Stripe names the type last, after the object
        await post(url, "/stripe", stripe_body, {"Content-Type": "application/json"})
        await post(url, "/plain", b"not json")
        await post(url, "/slack/commands", b"token=t&team_id=T1&command=%2Fdeploy&text=prod",
                   {"Content-Type": "application/x-www-form-urlencoded"})  # a Slack slash command is a form
        events = app.query_one(EventList)
        await until(pilot, lambda: ids_shown(events) == [1, 2, 3, 4])
        lines = shown(events)
        start = next(s for s, _, title in titles(lines[0]) if title == "type")
        types = [line[start:].split()[0] if line[start] != " " else "" for line in lines[1:5]]
        assert types == ["push", "charge.succeeded", "", "/deploy"]
        await pilot.press("q")
    store.close()


async def test_a_click_selects_a_row_and_the_wheel_scrolls(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        url = app.engine.listener_urls[0]
        for n in range(40):
            await post(url, f"/n/{n}")
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 40 and events.cursor == 39)
        await until(pilot, lambda: "#40" in text_of(app, "detail-overview"))
        top = int(events.scroll_offset.y)
        assert top > 0  # 40 rows do not fit: the newest are in view
        await pilot.click(EventList, offset=(4, 3))  # inside the border: the header, then the rows from the top
        await until(pilot, lambda: events.cursor == top + 1)
        await until(pilot, lambda: f"#{top + 2} " in text_of(app, "detail-overview"))
        events.post_message(textual_events.MouseScrollUp(events, 4, 3, 0, -1, 0, False, False, False))
        await until(pilot, lambda: events.scroll_offset.y < top)
        await pilot.press("q")
    store.close()


HUGE = 20_000


async def test_a_huge_history_jumps_home_and_end_with_every_read_off_the_loop(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Home shows the oldest rows and End the newest, in a filtered view too, and a jump into the middle shows the
    rows there; every read of a page or a count runs on the window's thread, never the loop's."""
    write_history(tmp_path / "tui.db", HUGE)  # every 10th invalid
    reader_threads: set[int] = set()

    def recording(read):
        def recorded(*args, **kwargs):
            reader_threads.add(threading.get_ident())
            return read(*args, **kwargs)
        return recorded

    for name in ("ascending", "descending", "count", "arrivals", "by_ids"):
        monkeypatch.setattr(event_pages, name, recording(getattr(event_pages, name)))
    app, store = make_app(tmp_path)
    loop_thread = threading.get_ident()
    async with app.run_test(size=(160, 45)) as pilot:
        events = app.query_one(EventList)
        await until(pilot, lambda: ids_shown(events)[-1:] == [HUGE])
        newest = ids_shown(events)
        assert newest == list(range(HUGE - len(newest) + 1, HUGE + 1))
        await pilot.press("home")
        await until(pilot, lambda: ids_shown(events)[:1] == [1])
        oldest = ids_shown(events)
        assert oldest == list(range(1, len(oldest) + 1)) and len(oldest) > 5
        await until(pilot, lambda: "#1 " in text_of(app, "detail-overview"))
        await pilot.press("end")
        await until(pilot, lambda: ids_shown(events)[-1:] == [HUGE] and events.following)
        await pilot.press("slash", *"verdict:invalid", "enter")
        await until(pilot, lambda: events.window.count == HUGE // 10 and ids_shown(events)[-1:] == [HUGE])
        await pilot.press("home")
        await until(pilot, lambda: ids_shown(events)[:3] == [10, 20, 30])
        events.scroll_to(y=1000, animate=False, immediate=True)  # a scrollbar drag into the middle
        await until(pilot, lambda: len(ids_shown(events)) >= 3)  # (the filter's field takes a few lines)
        middle = ids_shown(events)
        assert all(b - a == 10 for a, b in pairwise(middle))  # in order, none left out
        assert 9_000 <= middle[0] <= 11_000
        await pilot.press("q")
    store.close()
    assert reader_threads and loop_thread not in reader_threads


async def test_a_new_row_is_the_only_one_drawn_anew_and_a_row_whose_event_changed_is_drawn_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Following a tail scrolls the list a row at a time: the rows already drawn keep their lines, so a frame draws
    only the new row (and the row the cursor left). A row is drawn again when its event changes: here the answer
    of the app it was forwarded to comes in after the row was first drawn."""
    hold = asyncio.Event()
    receiver = Receiver(hold=hold)
    app_url = await receiver.start()
    app, store = make_app(tmp_path, f"listener: {{type: capture, port: 0, forward: {{url: '{app_url}'}}}}\n")
    drawn: list[int | None] = []
    draw = event_list_module.row_cells
    monkeypatch.setattr(event_list_module, "row_cells", lambda event, placed: (drawn.append(event.id),
                                                                               draw(event, placed))[1])
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            url = app.engine.listener_urls[0]
            events = app.query_one(EventList)
            for n in range(1, 21):
                await post(url, f"/hook/{n}")
            await until(pilot, lambda: ids_shown(events)[-1:] == [20])
            assert "⇢" not in shown(events)[-1]  # the app has not answered yet
            drawn.clear()
            await post(url, "/hook/21")
            await until(pilot, lambda: ids_shown(events)[-1:] == [21])
            rows = ids_shown(events)
            assert len(rows) >= 10 and rows[0] > 1 and 21 in drawn  # a list that scrolled by a row
            assert set(drawn) <= {20, 21}, drawn  # the new row, and the one the cursor left
            drawn.clear()
            hold.set()  # the app answers the held forwards
            await until(pilot, lambda: all("⇢ 200" in line for line in shown(events)[1:len(rows) + 1]))
            assert set(drawn) >= set(rows)  # every row in view drawn again, with its answer
            await pilot.press("q")
    finally:
        await receiver.stop()
        store.close()


async def test_rows_arriving_in_a_list_that_still_fits_or_already_scrolls_cost_no_layout_pass(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The list's own size never depends on its rows: only the scrollbar appearing needs the screen laid out again.
    A layout pass per frame while a new console's list filled was what delayed its first rows."""
    app, store = make_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        url = app.engine.listener_urls[0]
        events = app.query_one(EventList)
        await post(url, "/hook/1")
        await until(pilot, lambda: ids_shown(events) == [1])
        await pilot.pause(0.3)
        asked: list[str] = []
        on_layout = Screen._on_layout

        async def counted(screen: Screen, message) -> None:  # Textual finds handlers on the class
            asked.append(type(message.widget).__name__)
            await on_layout(screen, message)

        monkeypatch.setattr(Screen, "_on_layout", counted)
        for n in range(2, 6):  # still fits
            await post(url, f"/hook/{n}")
            await until(pilot, lambda n=n: ids_shown(events)[-1:] == [n])
        assert "EventList" not in asked
        rows = events.scrollable_content_region.height - 1
        for n in range(6, rows + 8):  # begins to scroll: the scrollbar comes, once
            await post(url, f"/hook/{n}")
        await until(pilot, lambda: ids_shown(events)[-1:] == [rows + 7])
        asked.clear()
        for n in range(rows + 8, rows + 12):  # scrolls already
            await post(url, f"/hook/{n}")
            await until(pilot, lambda n=n: ids_shown(events)[-1:] == [n])
        assert "EventList" not in asked
        await pilot.press("q")
    store.close()


@pytest.mark.parametrize("verdict", ["valid", "invalid", "malformed", "missing", "expired", "unchecked"])
@pytest.mark.parametrize("status", [200, 302, 404, 500])
def test_the_list_and_the_detail_colour_a_verdict_and_an_answer_alike(verdict: str, status: int) -> None:
    event = CapturedEvent("POST", "/x", [], b"", response_status=status,
                          signature=SignatureVerdict("stripe", verdict, "why"))
    row = cells(event)
    assert verdict_badge(verdict, "stripe", DARK).spans[0].style == DARK.style(row["signature"][1])
    assert answer_badge(status, DARK).style == DARK.style(row["status"][1])
