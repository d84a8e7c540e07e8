"""A scrolling window over the event history that never loads it all: position 0 is the oldest event, the last
position the newest; rows are read a page at a time (from the newest end, the cheap end of a huge history) and a few
pages are cached. Pages are counted from the newest end, so new events or updates clear the cache."""

from __future__ import annotations

from collections import OrderedDict

from hookdeck_tui.store import CapturedEvent, EventFilter, Store

PAGE = 100
CACHED_PAGES = 8


class EventWindow:
    def __init__(self, store: Store, filters: EventFilter | None = None) -> None:
        self.store = store
        self.filters = filters or EventFilter()
        self._pages: OrderedDict[int, list[CapturedEvent]] = OrderedDict()
        self._missing = 0  # ids up to the last exact count that have no row
        self._recount()

    def _recount(self) -> None:
        self._seen_id = self.store.last_id()
        if self.filters.is_empty:
            # rows are never deleted and ids are given in order, so the newest id counts the rows without a scan of
            # a million of them; `correct()` takes in the exact count once one is made off the UI thread
            self.count = self._seen_id - self._missing
        else:
            self.count = self.store.count(self.filters, up_to=self._seen_id)

    def correct(self, up_to: int, exact: int) -> None:
        """An exact count of all rows up to id `up_to` (the status bar's tally makes one): if rows were removed
        behind hooktui's back, the unfiltered count stops including them."""
        missing = up_to - exact
        if missing != self._missing:
            if self.filters.is_empty:
                self.count -= missing - self._missing
                self._pages.clear()
            self._missing = missing

    def refresh(self) -> int:
        """Count what arrived since the last look (along the primary key, never a scan); returns the rows added."""
        added, self._seen_id = self.store.count_since(self._seen_id, self.filters)
        if added:
            self.count += added
            self._pages.clear()  # pages are keyed from the newest end, which just moved
        return added

    def set_filter(self, filters: EventFilter) -> None:
        self.filters = filters
        self._pages.clear()
        self._recount()

    def invalidate(self) -> None:
        self._pages.clear()

    def row(self, position: int) -> CapturedEvent | None:
        if not 0 <= position < self.count:
            return None
        from_newest = self.count - 1 - position
        page = from_newest // PAGE
        rows = self._pages.get(page)
        if rows is None:
            rows = self.store.from_newest(page * PAGE, PAGE, self.filters)
            self._pages[page] = rows
            while len(self._pages) > CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        index = from_newest - page * PAGE
        return rows[index] if index < len(rows) else None
