"""The event list: a Line-API scroll view over an EventWindow — one rendered line per visible row, no widget per
event, so a history of a million events scrolls as lightly as ten. It follows the tail only while the cursor is on
the last row; otherwise it counts what arrived ("N new")."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from hookdeck_tui.console.types import CapturedEvent, EventWindow
from hookdeck_tui.tui.theme_styles import Palette, palette_of
from hookdeck_tui.tui.widgets.event_columns import Placed, cells, fit, header_cells, layout, row_cells

_PLACEHOLDER = Style(dim=True)
_PREFETCH = 20  # rows read ahead above and below what is shown, so paging a screen rarely shows a placeholder
_DRAWN_KEPT = 400  # rows kept drawn: while the list follows a tail each frame draws only the rows that came in


def row_segments(event: CapturedEvent) -> list[tuple[str, str]]:
    """The cells of one row at their natural width, two spaces apart (empty cells left out): the whole row, as a
    log line or a test reads it."""
    pieces: list[tuple[str, str]] = []
    for text, style in cells(event).values():
        if text:
            pieces += [("  ", ""), (text, style)] if pieces else [(text, style)]
    return pieces


def first_request_hint(url: str) -> list[tuple[str, str]]:
    """What an empty console shows: a curl line to paste that sends a first request to the listener — in the three
    rows the list has in an 80×24 terminal (the shell joins the two halves of the command)."""
    return [
        (" No requests yet. Send one from another terminal (or press s to forge one):", "bold"),
        (f" curl {url}/webhooks -H 'Content-Type: application/json' \\", "cyan"),
        ("   -d '{\"hello\": \"hooktui\"}'", "cyan"),
    ]


class _Rerun:
    """A job one task runs at a time: asked again while it runs, it runs once more after (and again while it
    returns True), so a burst of asks costs one read at a time, never a queue of them. A plain asyncio task, not
    a Textual worker: it is asked for up to every frame, and a worker posts messages each time it starts and ends."""

    def __init__(self, widget: Widget, job: Callable[[], Awaitable[bool]]) -> None:
        self.widget, self.job = widget, job
        self.running = False
        self._again = False
        self._task: asyncio.Task[None] | None = None

    def ask(self) -> asyncio.Task[None]:
        """Run the job (or once more, after the run on its way); the run's task, done once nothing is left."""
        if self._task is not None and self.running:
            self._again = True
            return self._task
        self.running = True
        self._task = asyncio.create_task(self._run())
        return self._task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        try:
            while True:
                self._again = False
                if not (await self.job() or self._again):
                    return
        except Exception as exc:  # a read that failed (the store went away): the list keeps what it has
            self.widget.log.error(f"event list: {exc!r}")
        finally:
            self.running = False


class EventList(ScrollView, can_focus=True):
    """Line 0 is the column header; the rows scroll beneath it. Rows come from the window's cache: one not read
    yet draws as a placeholder, and a worker reads it on the window's thread, then the list redraws."""

    COMPONENT_CLASSES = {"event-list--cursor"}  # the theme's cursor colours, as Textual's own lists use
    DEFAULT_CSS = """
    EventList > .event-list--cursor { background: $block-cursor-blurred-background; text-style: bold; }
    """

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
        self._columns: tuple[int, int, list[Placed]] = (-1, -1, [])  # (width, id width, layout) last laid out
        self._reads = _Rerun(self, self._read_shown)  # reads the rows in view
        self._fill_posted = False
        self._arrivals = _Rerun(self, self._take_arrivals)  # takes in what arrived
        self._arrived_updates = False
        self._unannounced: bool | None = None  # the cursor's row was not read yet: Selected waits (by_arrival)
        # rows as drawn: event id -> (the row read, how it was drawn, its strip); a row scrolling up one line is
        # the same strip, so a frame that scrolls the list draws only the rows new to it (or changed)
        self._drawn: dict[int, tuple[CapturedEvent, tuple[object, ...], Strip]] = {}
        self._look: tuple[Style, Style, Palette] | None = None  # this frame's base and cursor styles and palette

    def show_empty_hint(self, url: str) -> None:
        self.empty_hint = first_request_hint(url)
        self.refresh()

    def on_mount(self) -> None:
        self._resize()
        if self.window.count:
            self.cursor = self.window.count - 1
        elif not self.window.counted:
            self.reset()
        self.call_after_refresh(self.show_cursor)  # once laid out: before, the list has no height to scroll in

    def on_unmount(self) -> None:
        self._reads.cancel()
        self._arrivals.cancel()
        self.window.close()

    def show_cursor(self) -> None:
        """Scroll so the cursor's row is in view (a history opens at its newest row, with the cursor on it)."""
        if self.cursor >= 0:
            self.scroll_to_region_of(self.cursor)  # a scroll redraws the list; in view already, nothing to draw

    @property
    def _rows_shown(self) -> int:
        return max(self.scrollable_content_region.height - 1, 0)  # the header takes a line

    def _resize(self, *, grown: bool = False) -> None:
        # rows are fitted to the width, never wrapped; the header adds a line
        size = Size(self.scrollable_content_region.width, self.window.count + 1)
        if size == self.virtual_size:
            return
        height = self.scrollable_content_region.height
        scrolls = size.height > height, self.virtual_size.height > height
        if grown and size.width == self.virtual_size.width and scrolls[0] == scrolls[1]:
            # more rows in a list that scrolled already (or that still fits): at most the scrollbar's thumb changes,
            # so no layout pass over the whole screen (during a burst that pass, every frame, was the console's
            # largest cost; while a new console's list fills, it delayed the first rows)
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def on_resize(self) -> None:
        self._resize()
        self._fill()

    # --- reading, off the loop -----------------------------------------------------------------------------
    def _want_rows(self) -> None:
        """From drawing: have the rows read once this frame is drawn (one call however many lines lack one)."""
        if self._reads.running:
            self._reads.ask()
        elif not self._fill_posted:
            self._fill_posted = True
            self.call_later(self._fill)

    def _wanted(self) -> tuple[int, int]:
        """The positions to have read: those in view and a few around."""
        top = int(self.scroll_offset.y)
        return top - _PREFETCH, top + self._rows_shown + _PREFETCH

    def _fill(self) -> None:
        """Have the rows in view (and a few around) read, unless a read is on its way (it looks again when done)."""
        self._fill_posted = False
        if self._reads.running or self.window.lacks(*self._wanted()):
            self._reads.ask()

    async def _read_shown(self) -> bool:
        changed = await self.window.load(*self._wanted())
        if changed:
            self.refresh()
            self._announce()
        return changed

    def _announce(self) -> None:
        """Post the Selected a cursor move held back because its row was not read yet."""
        if self._unannounced is None:
            return
        row = self.window.row(self.cursor)
        if row is not None:
            by_arrival, self._unannounced = self._unannounced, None
            self.post_message(self.Selected(row.id, by_arrival=by_arrival))

    def events_arrived(self, updated: bool = False) -> asyncio.Task[None]:
        """Called with each batch of bus messages: re-count (on the window's thread), then follow the tail or count
        what is new. `updated`: stored events changed (forward result, route outcome), so the rows shown are read
        again and, under a filter on such fields, the count may have changed too. Returns the task that takes them
        in: a caller that awaits it draws the new rows in the same frame as what it draws itself."""
        self._arrived_updates |= updated
        return self._arrivals.ask()

    async def _take_arrivals(self) -> bool:
        updated, self._arrived_updates = self._arrived_updates, False
        await self._arrive(updated)
        return False

    async def _arrive(self, updated: bool) -> None:
        if updated:
            self.window.invalidate()
            if not self.window.filters.is_empty and await self.window.recheck():
                self._resize()
                self.cursor = min(self.cursor, self.window.count - 1)
        added = await self.window.refresh()
        if added:
            self._resize(grown=True)
            if self.following or self.cursor < 0:
                self._arriving = True
                try:
                    self.cursor = self.window.count - 1
                finally:
                    self._arriving = False
                self.scroll_end(animate=False, immediate=True)
                self.call_after_refresh(self.show_cursor)  # the scroll range grows with the next layout
            else:
                self.pending += added
        self.refresh()
        self._fill()

    def recounted(self) -> None:
        """The window's count was corrected (rows removed behind hooktui's back): fit the scroll range to it."""
        self._resize()
        self.cursor = min(self.cursor, self.window.count - 1)
        self.refresh()
        self._fill()

    # --- drawing -------------------------------------------------------------------------------------------
    def _layout(self, width: int) -> list[Placed]:
        id_width = max(len(str(self.window.count)), len(str(self.window.newest_id)), 3)
        if self._columns[:2] != (width, id_width):
            self._columns = (width, id_width, layout(width, id_width))
        return self._columns[2]

    def render_lines(self, crop: Region) -> list[Strip]:
        """The styles a row is drawn in are read once per frame, not once per line (each read walks the DOM)."""
        self._look = self._styles()
        try:
            return super().render_lines(crop)
        finally:
            self._look = None

    def _styles(self) -> tuple[Style, Style, Palette]:
        """The list's base style, its cursor's, and the theme's colours for the cells' roles."""
        return self.rich_style, self.get_component_rich_style("event-list--cursor"), palette_of(self.app)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        rich_style, cursor_style, palette = self._look or self._styles()
        if not self.window.count:
            if self.window.counted and self.window.filters.is_empty and y < len(self.empty_hint):
                text, style = self.empty_hint[y]
                return Strip([Segment(text, rich_style + Style.parse(style) if style else rich_style)]
                             ).crop(0, width).extend_cell_length(width, rich_style)
            if not self.window.counted and y == 1:  # a filtered count is being made, off the loop
                return self._strip([("  counting the matching events…", "")], rich_style + _PLACEHOLDER, width,
                                   palette)
            if y or not self.window.counted:
                return Strip.blank(width, rich_style)
        placed = self._layout(width)
        if y == 0:
            return self._strip(header_cells(placed), rich_style + Style(underline=True), width, palette)
        position = self.position_at(y)
        if position is None:
            return Strip.blank(width, rich_style)
        base = rich_style + cursor_style if position == self.cursor else rich_style
        event = self.window.row(position)
        if event is None:
            self._want_rows()  # drawn as a placeholder until its page is read
            return self._strip([(fit("…", placed[0].width, right=True), "")], base + _PLACEHOLDER, width, palette)
        if event.id is None:
            return self._strip(row_cells(event, placed), base, width, palette)
        look = (self._columns[:2], base, palette)
        drawn = self._drawn.get(event.id)
        if drawn is not None and drawn[1] == look and (drawn[0] is event or drawn[0] == event):  # a page read
            # again brings the same rows as new objects: equal ones keep their lines
            return drawn[2]
        strip = self._strip(row_cells(event, placed), base, width, palette)
        if len(self._drawn) >= _DRAWN_KEPT:
            self._drawn.clear()
        self._drawn[event.id] = (event, look, strip)
        return strip

    def position_at(self, y: int) -> int | None:
        """The position of the row drawn on line `y` of the view (line 0 is the header), or None."""
        position = int(self.scroll_offset.y) + y - 1
        return position if y > 0 and 0 <= position < self.window.count else None

    @staticmethod
    def _strip(pieces: list[tuple[str, str]], base: Style, width: int, palette: Palette) -> Strip:
        """`pieces` of (text, role) in the theme's colours for their roles (ok, bad, muted…)."""
        segments = [Segment(text, base + Style.parse(palette.style(style)) if style else base)
                    for text, style in pieces]
        return Strip(segments).crop(0, width).extend_cell_length(width, base)

    # --- the cursor ----------------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        if new < 0:
            return
        self.following = new == self.window.count - 1
        if self.following:
            self.pending = 0
        self.scroll_to_region_of(new)
        self.refresh()
        row = self.window.row(new)
        if row is None:
            self._unannounced = self._arriving  # announced once read
            self._fill()
            return
        self._unannounced = None
        self.post_message(self.Selected(row.id, by_arrival=self._arriving))

    def scroll_to_region_of(self, position: int) -> None:
        top = int(self.scroll_offset.y)
        shown = self._rows_shown
        if position < top:
            self.scroll_to(y=position, animate=False, immediate=True)
        elif shown and position >= top + shown:
            self.scroll_to(y=position - shown + 1, animate=False, immediate=True)
        self._fill()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._fill()  # a wheel, a scrollbar drag: read what comes into view

    def on_click(self, event: Click) -> None:
        """A click on a row selects it (the header and the blank below the rows do nothing)."""
        offset = event.get_content_offset(self)
        position = self.position_at(offset.y) if offset is not None else None
        if position is not None:
            self.focus()
            self.cursor = position

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
        """After the filter changed: start again at the newest matching row (once a filtered view is counted, which
        happens on the window's thread)."""
        self.pending = 0
        self._unannounced = None
        self._resize()
        self.cursor = -1
        if self.window.counted:
            self._to_newest()
        else:
            self.refresh()
            self.run_worker(self._count_then_show(), group="event-count", exclusive=True, exit_on_error=False)

    async def _count_then_show(self) -> None:
        if await self.window.recount():
            self._resize()
            self.cursor = -1
            self._to_newest()

    def _to_newest(self) -> None:
        self.cursor = self.window.count - 1
        self.call_after_refresh(self.show_cursor)  # the scroll range changes with the new count
        self.refresh()
        self._fill()
