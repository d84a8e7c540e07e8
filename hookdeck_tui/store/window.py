"""A scrolling window over the event history that never loads it all and never reads on the event loop.

Position 0 is the oldest event, the last position the newest. Every read (pages, counts) runs on one thread of
the window's own, with its own read connection (event_pages.py), so the listeners sharing the loop never wait on
SQLite; `row()` answers from the rows already read, or None — the list draws a placeholder and asks `load()` for
what it shows. Pages are anchored by id, never by OFFSET: the first page holds the oldest ids, the last page the
newest, a page next to a loaded row continues from that row's id; only a jump into the middle of a filtered view
(where no id is known to be at that position) places a page at an estimated id, which its neighbours then follow.
Positions count from the oldest, so new events only add positions: cached rows stay where they are."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from hookdeck_tui.store import EventFilter, Store
from hookdeck_tui.store import event_pages as pages
from hookdeck_tui.store.event_pages import ListedEvent

PAGE = 100
CACHED_ROWS = 8 * PAGE  # rows kept; those farthest from what is shown go first
_PAGES_PER_LOAD = 8  # reads one `load()` makes at most before it hands back (the caller asks again)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class _Read:
    """A page to read: rows placed from `position` on (ascending, after id `anchor`) or down from it (descending,
    before id `anchor`). `estimate`: the anchor is a guess made on the reader's thread from the id span."""

    ascending: bool
    anchor: int
    position: int
    estimate: bool = False


class EventWindow:
    def __init__(self, store: Store, filters: EventFilter | None = None) -> None:
        self.store = store
        self.filters = filters or EventFilter()
        self._rows: dict[int, ListedEvent] = {}
        self._guessed: set[int] = set()  # positions holding rows placed from an estimate
        self._holes: set[int] = set()  # positions a read found no row for (the count ran ahead of the store)
        self._missing = 0  # ids up to the last exact count that have no row
        self._seen_id = store.last_id()  # read once, as the console is made: before any listener runs
        self._generation = 0  # moves when positions change meaning (filter, correction): older reads are dropped
        self._updates = 0  # moves when stored rows changed: rows read before are read again
        self._stale = False
        self._lock: asyncio.Lock | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self.count = 0
        self.counted = True  # False while a filtered count is being made (count is then 0)
        self._count_now()

    # --- the reader thread -----------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.store.path, isolation_level=None, timeout=30)
            connection.execute("PRAGMA query_only = 1")
            self._local.connection = connection
        return connection

    async def _read(self, read: Callable[Concatenate[sqlite3.Connection, P], R], *args: P.args,
                    **kwargs: P.kwargs) -> R:
        """Run `read` over the reader thread's connection, on that thread (one thread: reads in order)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-pages")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, lambda: read(self._connection(), *args, **kwargs))

    def close(self) -> None:
        """Let the reader thread go (its connection closes with it)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.submit(self._close_connection)
            executor.shutdown(wait=False)

    def _close_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _serial(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    # --- counting ----------------------------------------------------------------------------------------
    def _count_now(self) -> None:
        """Unfiltered, the count is known without a read (rows are never deleted and ids are given in order, so
        the newest id counts them); filtered, it is made by `recount()` off the loop."""
        if self.filters.is_empty:
            self.count, self.counted = max(self._seen_id - self._missing, 0), True
        else:
            self.count, self.counted = 0, False

    def _forget(self) -> None:
        self._generation += 1
        self._rows.clear()
        self._guessed.clear()
        self._holes.clear()

    def correct(self, up_to: int, exact: int) -> None:
        """An exact count of all rows up to id `up_to` (the status bar's tally makes one): if rows were removed
        behind hooktui's back, the unfiltered count stops including them."""
        missing = up_to - exact
        if missing != self._missing:
            if self.filters.is_empty:
                self.count = max(self.count - (missing - self._missing), 0)
                self._forget()  # positions moved
            self._missing = missing

    def set_filter(self, filters: EventFilter) -> None:
        """A new view: the unfiltered count is known at once; a filtered one needs `recount()`."""
        self.filters = filters
        self._forget()
        self._count_now()

    async def recount(self) -> bool:
        """Count a filtered view and read its newest page, off the loop; False when the filter changed meanwhile."""
        async with self._serial():
            if self.counted:
                return True
            return await self._count_view()

    async def recheck(self) -> bool:
        """Count a counted filtered view again (stored rows changed: under a filter on such fields, rows may have
        come in or gone out); True when the count moved, and with it the positions (the rows are read again)."""
        async with self._serial():
            return self.counted and not self.filters.is_empty and await self._count_view()

    async def _count_view(self) -> bool:
        generation, filters, updates = self._generation, self.filters, self._updates
        counted, seen, newest = await self._read(_count_and_newest, filters)
        if generation != self._generation or (self.counted and (counted, seen) == (self.count, self._seen_id)):
            return False
        self._forget()
        self._seen_id, self.count, self.counted = seen, counted, True
        self._place(_Read(False, seen + 1, counted - 1), newest, updates)
        return True

    async def refresh(self) -> int:
        """Count what arrived since the last look (along the primary key, never a scan) and read the newest of it;
        returns the rows added."""
        async with self._serial():
            if not self.counted:
                return 0  # the count being made includes them
            generation, filters, seen, updates = self._generation, self.filters, self._seen_id, self._updates
            added, newest, rows = await self._read(pages.arrivals, filters, seen, PAGE)
            if generation != self._generation:
                return 0
            self._seen_id = newest
            self.count += added
            self._holes.clear()
            if rows:
                self._place(_Read(False, newest + 1, self.count - 1), rows, updates)
            return added

    # --- rows --------------------------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Stored rows changed (a forward's result, a route's runs): the rows shown are read again by `load()`."""
        self._updates += 1
        self._stale = True

    def row(self, position: int) -> ListedEvent | None:
        """The row at `position` if it has been read (never a read here)."""
        return self._rows.get(position)

    @property
    def newest_id(self) -> int:
        """The newest id the window has seen (counted or not)."""
        return self._seen_id

    @property
    def cached(self) -> int:
        return len(self._rows)

    def lacks(self, first: int, last: int) -> bool:
        """Whether `load(first, last)` has anything to read (answered from the cache, no read)."""
        return self.counted and (self._stale or self._gap(first, last) is not None)

    async def load(self, first: int, last: int) -> bool:
        """Read what positions first..last lack (and, after `invalidate()`, read those rows again); True when
        rows changed. A few pages per call: a caller that scrolled on asks again."""
        changed = False
        if self._stale:
            changed = await self._reread(first, last)
        for _ in range(_PAGES_PER_LOAD):
            if not self.counted:
                break
            gap = self._gap(first, last)
            if gap is None:
                break
            generation, updates = self._generation, self._updates
            plan = self._plan(*gap)
            rows, plan = await self._read(_read_page, self.filters, plan, self.count, self._seen_id)
            if generation != self._generation:
                return changed
            self._place(plan, rows, updates)
            if len(rows) < PAGE:  # the store ran out in that direction: the count ran ahead of it
                ends = range(plan.position + len(rows), gap[1] + 1) if plan.ascending else range(
                    gap[0], plan.position - len(rows) + 1)
                self._holes.update(p for p in ends if p not in self._rows)
            changed = True
        self._evict(first, last)
        return changed

    def _gap(self, first: int, last: int) -> tuple[int, int] | None:
        """The first run of positions in first..last that needs a read: not read yet, or placed from an estimate
        within a page of either end (where the exact first and last pages belong)."""
        end = min(last, self.count - 1)
        start = None
        for position in range(max(first, 0), end + 1):
            needed = position not in self._holes and (position not in self._rows or (
                position in self._guessed and (position < PAGE or position >= self.count - PAGE)))
            if needed and start is None:
                start = position
            elif not needed and start is not None:
                return start, position - 1
        return (start, end) if start is not None else None

    def _plan(self, start: int, end: int) -> _Read:
        exact = start - 1 not in self._guessed and end + 1 not in self._guessed
        before, after = self._rows.get(start - 1), self._rows.get(end + 1)
        if start < PAGE and not (before is not None and exact):
            return _Read(True, 0, 0)  # the oldest page (a view floor is part of the filter)
        if end >= self.count - PAGE and not (after is not None and exact):
            return _Read(False, self._seen_id + 1, self.count - 1)  # the newest page
        if before is not None and before.id is not None:
            return _Read(True, before.id, start)
        if after is not None and after.id is not None:
            return _Read(False, after.id, end)
        return _Read(True, 0, start, estimate=True)

    def _place(self, plan: _Read, rows: list[ListedEvent], updates: int) -> None:
        step = 1 if plan.ascending else -1
        for index, event in enumerate(rows):
            position = plan.position + step * index
            if not 0 <= position < self.count:
                break
            self._rows[position] = event
            if plan.estimate:
                self._guessed.add(position)
            else:
                self._guessed.discard(position)
        if updates != self._updates:
            self._stale = True  # read before a change landed: read again

    async def _reread(self, first: int, last: int) -> bool:
        self._stale = False
        shown = {position: event.id for position in range(max(first, 0), last + 1)
                 if (event := self._rows.get(position)) is not None and event.id is not None}
        for position in [p for p in self._rows if p not in shown]:
            del self._rows[position]  # off screen: read when next shown
        if not shown:
            return False
        generation = self._generation
        fresh = {event.id: event for event in await self._read(pages.by_ids, sorted(shown.values()))}
        if generation != self._generation:
            return False
        for position, event_id in shown.items():
            if event_id in fresh and self._rows.get(position) is not None:
                self._rows[position] = fresh[event_id]
        return True

    def _evict(self, first: int, last: int) -> None:
        if len(self._rows) <= CACHED_ROWS:
            return
        middle = (first + last) // 2
        for position in sorted(self._rows, key=lambda p: abs(p - middle))[CACHED_ROWS:]:
            del self._rows[position]
            self._guessed.discard(position)


# --- what runs on the reader thread -------------------------------------------------------------------------
def _count_and_newest(connection: sqlite3.Connection, filters: EventFilter) -> tuple[int, int, list[ListedEvent]]:
    _, seen = pages.id_span(connection)
    return (pages.count(connection, filters, up_to=seen), seen,
            pages.descending(connection, filters, before=seen + 1, limit=PAGE))


def _read_page(connection: sqlite3.Connection, filters: EventFilter, plan: _Read, count: int,
               seen: int) -> tuple[list[ListedEvent], _Read]:
    if plan.estimate:
        oldest, _ = pages.id_span(connection)
        low = max(oldest, filters.after + 1)
        span = max(seen - low + 1, 1)
        guess = low + int(plan.position * span / max(count, 1))
        exact = filters.is_empty and span == count  # no gaps: the id at a position is known
        plan = _Read(True, guess - 1, plan.position, estimate=not exact)
    if plan.ascending:
        return pages.ascending(connection, filters, after=plan.anchor, up_to=seen, limit=PAGE), plan
    return pages.descending(connection, filters, before=plan.anchor, limit=PAGE), plan
