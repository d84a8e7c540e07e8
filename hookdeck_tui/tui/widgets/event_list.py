"""The event list: a Line-API scroll view over an EventWindow — one rendered line per visible row, no widget per
event, so a history of a million events scrolls as lightly as ten. It follows the tail only while the cursor is on
the last row; otherwise it counts what arrived ("N new")."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from hookdeck_tui.console.types import CapturedEvent, EventWindow
from hookdeck_tui.formatting import VERDICT_BADGES, local_time, terminal_safe

BADGE_STYLES = {"valid": "green", "invalid": "bold red", "missing": "yellow", "expired": "yellow",
                "unchecked": "grey50", "malformed": "red"}
_CURSOR = Style(bgcolor="grey27", bold=True)


def status_style(status: int | None) -> str:
    if status is None:
        return "grey50"
    return "green" if status < 300 else "cyan" if status < 400 else "yellow" if status < 500 else "red"


def row_segments(event: CapturedEvent) -> list[tuple[str, str]]:
    """The cells of one row, as (text, style) pairs."""
    status = str(event.response_status) if event.response_status is not None else "---"
    verdict = event.signature.status if event.signature else None
    badge, badge_style = VERDICT_BADGES.get(verdict, ""), BADGE_STYLES.get(verdict, "")
    forward = ""
    if event.forward:
        outcome = event.forward.status or "✗"
        forward = f" ⇢ {outcome} {event.forward.latency_ms or ''}ms"
    route = f"  {event.route}" if event.route else "  (no route)"
    runs = event.run_ids
    if runs:
        route += f" → {runs[0]}" + (f" +{len(runs) - 1}" if len(runs) > 1 else "")
    origin = origin_label(event)
    if origin:
        route = f"  {origin} {event.listener}" if event.sent else f"{route}  ({origin})"
    return [
        (f"{event.id:>6} ", "grey50"), (f"{local_time(event.received_at, with_date=False)} ", "grey70"),
        (f"{event.method:<6} ", "bold"), (f"{status} ", status_style(event.response_status)),
        (f"{badge:<12}", badge_style), (terminal_safe(event.target), ""), (route, "grey58"), (forward, "magenta"),
    ]


def first_request_hint(url: str) -> list[tuple[str, str]]:
    """What an empty console shows: a curl line to paste that sends a first request to the listener — in the three
    rows the list has in an 80×24 terminal (the shell joins the two halves of the command)."""
    return [
        (" No requests yet. Send one from another terminal (or press s to forge one):", "bold"),
        (f" curl {url}/webhooks -H 'Content-Type: application/json' \\", "cyan"),
        ("   -d '{\"hello\": \"hooktui\"}'", "cyan"),
    ]


def origin_label(event: CapturedEvent) -> str:
    """'' for a request from outside; else what made it: a replay, a forged event, a round trip's callback."""
    if event.origin == "external":
        return ""
    if event.origin == "forged":
        return "forged " + str(((event.meta or {}).get("forged") or {}).get("template", ""))
    return event.origin + (f" of #{event.origin_ref}" if event.origin_ref else "")


class EventList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="list.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="list.down"),
        Binding("pageup", "move(-20)", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "move(20)", "Page down", show=False, id="list.page_down"),
        Binding("home", "first", "First", show=False, id="list.first"),
        Binding("end", "last", "Last", show=False, id="list.last"),
    ]

    cursor = reactive(-1)
    following = reactive(True)

    @dataclass
    class Selected(Message):
        event_id: int | None
        by_arrival: bool = False  # the list moved to a new event on its own (following the tail), not by a key

    def __init__(self, window: EventWindow, **kwargs) -> None:
        super().__init__(**kwargs)
        self.window = window
        self.pending = 0  # rows that arrived while not following
        self._arriving = False
        self.empty_hint: list[tuple[str, str]] = []  # (text, style) lines shown while there are no events at all

    def show_empty_hint(self, url: str) -> None:
        self.empty_hint = first_request_hint(url)
        self.refresh()

    def on_mount(self) -> None:
        self._resize()
        if self.window.count:
            self.cursor = self.window.count - 1
        self.call_after_refresh(self.show_cursor)  # once laid out: before, the list has no height to scroll in

    def show_cursor(self) -> None:
        """Scroll so the cursor's row is in view (a history opens at its newest row, with the cursor on it)."""
        if self.cursor >= 0:
            self.scroll_to_region_of(self.cursor)
            self.refresh()

    def _resize(self, *, grown: bool = False) -> None:
        size = Size(self.scrollable_content_region.width, self.window.count)  # rows are cropped, never wrapped
        if size == self.virtual_size:
            return
        height = self.scrollable_content_region.height
        if grown and size.width == self.virtual_size.width and min(size.height, self.virtual_size.height) > height:
            # more rows in a list that already scrolls: only the scrollbar changes, so no layout pass over the whole
            # screen (during a burst that pass, every frame, was the console's largest cost)
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def on_resize(self) -> None:
        self._resize()

    def events_arrived(self, updated: bool = False) -> None:
        """Called with each batch of bus messages: re-count, then follow the tail or count what is new. `updated`:
        stored events changed (forward result, route outcome), so cached rows are stale and, under a filter on
        such fields, the count may be too."""
        if updated and not self.window.filters.is_empty:
            self.window.set_filter(self.window.filters)
        added = self.window.refresh()
        if not added:
            self.window.invalidate()
            self.refresh()
            return
        self._resize(grown=True)
        if self.following or self.cursor < 0:
            self._arriving = True
            try:
                self.cursor = self.window.count - 1
            finally:
                self._arriving = False
            self.scroll_end(animate=False, immediate=True)
        else:
            self.pending += added
        self.refresh()

    def recounted(self) -> None:
        """The window's count was corrected (rows removed behind hooktui's back): fit the scroll range to it."""
        self._resize()
        self.cursor = min(self.cursor, self.window.count - 1)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        position = scroll_y + y
        event = self.window.row(position)
        width = self.scrollable_content_region.width
        if event is None:
            if not self.window.count and self.window.filters.is_empty and y < len(self.empty_hint):
                text, style = self.empty_hint[y]
                return Strip([Segment(text, self.rich_style + Style.parse(style) if style else self.rich_style)]
                             ).crop(0, width).extend_cell_length(width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        base = self.rich_style + (_CURSOR if position == self.cursor else Style())
        segments = [Segment(text, base + Style.parse(style) if style else base) for text, style in row_segments(event)]
        return Strip(segments).crop(scroll_x, scroll_x + width).extend_cell_length(width, base)

    def watch_cursor(self, old: int, new: int) -> None:
        if new < 0:
            return
        self.following = new == self.window.count - 1
        if self.following:
            self.pending = 0
        self.scroll_to_region_of(new)
        self.refresh()
        row = self.window.row(new)
        self.post_message(self.Selected(row.id if row else None, by_arrival=self._arriving))

    def scroll_to_region_of(self, position: int) -> None:
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        if position < top:
            self.scroll_to(y=position, animate=False, immediate=True)
        elif height and position >= top + height:
            self.scroll_to(y=position - height + 1, animate=False, immediate=True)

    def action_move(self, delta: int) -> None:
        if self.window.count:
            self.cursor = min(max(self.cursor + delta, 0), self.window.count - 1)

    def action_first(self) -> None:
        if self.window.count:
            self.cursor = 0

    def action_last(self) -> None:
        """The newest row, shown and followed — also when the cursor is already there but out of view."""
        if self.window.count:
            self.cursor = self.window.count - 1
            self.following = True
            self.pending = 0
            self.show_cursor()

    def reset(self) -> None:
        """After the filter changed: start again at the newest matching row."""
        self.pending = 0
        self._resize()
        self.cursor = -1
        self.cursor = self.window.count - 1
        self.call_after_refresh(self.show_cursor)  # the scroll range changes with the new count
        self.refresh()
