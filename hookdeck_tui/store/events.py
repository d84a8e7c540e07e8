"""Captured events: storing them (each acknowledged once committed), recording later facts about them, and the
reads a list over a huge history needs — pages along the primary key, counts and tallies that only look at
what is new."""

from __future__ import annotations

from functools import partial

from hookdeck_tui.store.base import StoreBase
from hookdeck_tui.store.commit import RowInsert, StoreWriteError
from hookdeck_tui.store.event_rows import (
    FULL_COLUMNS,
    INSERT_EVENT,
    SUMMARY_COLUMNS,
    event_row,
    event_values,
    insert_all,
    plain,
    row_to_event,
    update_columns,
)
from hookdeck_tui.store.filters import EventFilter
from hookdeck_tui.store.records import CapturedEvent

# a request that came in: not what hooktui sent, nor a round trip's callback (which has no route by design)
_TALLY = ("count(*), coalesce(sum(sig_status = 'valid'), 0), coalesce(sum(sig_status = 'invalid'), 0), "
          "coalesce(sum(route IS NULL AND origin != 'callback' AND NOT sent), 0)")
_TALLY_KEYS = ("total", "valid", "invalid", "unmatched")


class EventRecords(StoreBase):
    # --- writes ----------------------------------------------------------------------------------------
    async def append(self, event: CapturedEvent) -> int:
        """Store `event`; returns its id after the commit. Raises StoreWriteError if it could not be stored."""
        try:
            values = event_values(event)
        except Exception as exc:
            raise StoreWriteError(f"could not store: {exc!r}") from exc
        event.id = int(await self._writer.submit_async(RowInsert(INSERT_EVENT, values, event_row)))
        return event.id

    def append_sync(self, event: CapturedEvent) -> int:
        event.id = int(self._writer.submit(RowInsert(INSERT_EVENT, event_values(event), event_row)).result())
        return event.id

    def append_many(self, events: list[CapturedEvent]) -> list[int]:
        """Store many events (an import) in one transaction: all of them or none, even when the process is killed
        halfway; their ids are read back from the table, so they are the ones given even while a listener
        writes too. Raises StoreWriteError (nothing stored)."""
        rows = [event_row(*event_values(event)) for event in events]
        ids: list[int] = self._writer.submit(partial(insert_all, rows=rows)).result()
        for event, event_id in zip(events, ids, strict=True):
            event.id = event_id
        return ids

    async def update_event(self, event_id: int, **fields: object) -> None:
        """Record later facts about a stored event (forward result, workflow match, response status); only the
        fields given change (one of `event_rows.UPDATABLE`, else ValueError)."""
        encoded = {name: plain(value) for name, value in fields.items()}
        await self._writer.submit_async(partial(update_columns, event_id=event_id, fields=encoded))

    # --- reads -----------------------------------------------------------------------------------------
    def get(self, event_id: int) -> CapturedEvent | None:
        rows = self._query(f"SELECT {FULL_COLUMNS} FROM events WHERE id = ?", (event_id,))
        return row_to_event(rows[0]) if rows else None

    def page(self, *, before: int | None = None, after: int | None = None, limit: int = 50,
             filters: EventFilter | None = None, include_body: bool = False) -> list[CapturedEvent]:
        """Events newest first (`before` an id), or oldest first after `after` — never the whole history."""
        where, params = (filters or EventFilter()).sql()
        columns = FULL_COLUMNS if include_body else SUMMARY_COLUMNS
        if after is not None:
            sql = f"SELECT {columns} FROM events WHERE id > ? AND {where} ORDER BY id ASC LIMIT ?"
            return [row_to_event(r) for r in self._query(sql, [after, *params, limit])]
        cursor = "id < ? AND " if before is not None else ""
        sql = f"SELECT {columns} FROM events WHERE {cursor}{where} ORDER BY id DESC LIMIT ?"
        return [row_to_event(r) for r in self._query(sql, ([before] if before is not None else []) + params + [limit])]

    def count(self, filters: EventFilter | None = None, *, up_to: int | None = None) -> int:
        where, params = (filters or EventFilter()).sql()
        if up_to is not None:
            where, params = f"id <= ? AND {where}", [up_to, *params]
        if where == "1":
            return self._scalar("SELECT count(*) FROM events")
        return self._scalar(f"SELECT count(*) FROM events WHERE {where}", params)

    def tally(self, up_to: int) -> dict[str, int]:
        """Counters over the history up to an id (total / valid / invalid / unmatched — of requests that came in:
        not what hooktui sent, nor round-trip callbacks, which have no route by design). One scan: on its own
        connection, so a big history's tally never holds up the readers that page the list."""
        connection = self._open()
        try:
            row = connection.execute(f"SELECT {_TALLY} FROM events WHERE id <= ?", (up_to,)).fetchone()
        finally:
            connection.close()
        return dict(zip(_TALLY_KEYS, row, strict=True))

    def tally_since(self, after_id: int) -> tuple[dict[str, int], int]:
        """(the same counters over events with id > after_id, the newest id): what a console adds to its counters
        each frame, along the primary key — from one query, whoever wrote the rows."""
        *row, newest = self._query(f"SELECT {_TALLY}, coalesce(max(id), ?) FROM events WHERE id > ?",
                                   (after_id, after_id))[0]
        return dict(zip(_TALLY_KEYS, row, strict=True)), int(newest)

    def last_id(self) -> int:
        return self._scalar("SELECT coalesce(max(id), 0) FROM events")

    def derived_from(self, event_id: int, limit: int = 20) -> list[CapturedEvent]:
        """The newest replays and callbacks of an event (without bodies)."""
        rows = self._query(f"SELECT {SUMMARY_COLUMNS} FROM events WHERE origin_ref = ? ORDER BY id DESC LIMIT ?",
                           (event_id, limit))
        return [row_to_event(row) for row in rows]
