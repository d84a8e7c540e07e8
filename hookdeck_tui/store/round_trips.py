"""Round trips: a forged event that asked the app to call back, waiting for (and then judged by) that callback.
Their `detail` (the app's answer, the callback's check) is merged in by whichever part learns something first."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from hookdeck_tui.store.base import StoreBase, execute
from hookdeck_tui.store.records import dumps, loads


@dataclass(frozen=True)
class RoundTrip:
    channel_id: str
    event_id: int  # the forged event that asked for the callback
    started_at: float
    deadline: float
    status: str  # waiting | completed | failed | invalid | refused | timeout
    callback_event: int | None  # the callback request, once it came
    detail: dict[str, Any] = field(default_factory=dict)


class RoundTripRecords(StoreBase):
    async def start_round_trip(self, channel_id: str, event_id: int, timeout: float,
                               detail: dict[str, Any] | None = None, started_at: float | None = None) -> None:
        now = self.clock() if started_at is None else started_at
        await self._writer.submit_async(partial(execute, sql=(
            "INSERT OR REPLACE INTO round_trips (channel_id, event_id, started_at, deadline, status, detail) "
            "VALUES (?, ?, ?, ?, 'waiting', ?)"), params=(channel_id, event_id, now, now + timeout,
                                                         dumps(detail or {}))))

    async def annotate_round_trip(self, channel_id: str, detail: dict[str, Any]) -> None:
        """Merge `detail` into a round trip's, whatever its status (the app's answer may come after its callback)."""
        await self._writer.submit_async(partial(_annotate, channel_id=channel_id, detail=detail))

    async def finish_round_trip(self, channel_id: str, status: str, *, callback_event: int | None = None,
                                detail: dict[str, Any] | None = None,
                                from_statuses: tuple[str, ...] = ("waiting",)) -> bool:
        """Set the outcome (merging `detail` into what is there) if the round trip is in one of `from_statuses`;
        False when another outcome came first."""
        finished: bool = await self._writer.submit_async(partial(
            _finish, channel_id=channel_id, status=status, callback_event=callback_event, detail=detail,
            from_statuses=from_statuses))
        return finished

    def round_trip(self, channel_id: str) -> RoundTrip | None:
        rows = self._query("SELECT channel_id, event_id, started_at, deadline, status, callback_event, detail "
                           "FROM round_trips WHERE channel_id = ?", (channel_id,))
        if not rows:
            return None
        channel, event_id, started_at, deadline, status, callback_event, detail = rows[0]
        return RoundTrip(channel, event_id, started_at, deadline, status, callback_event, loads(detail) or {})


def _annotate(c: sqlite3.Connection, channel_id: str, detail: dict[str, Any]) -> None:
    row = c.execute("SELECT detail FROM round_trips WHERE channel_id = ?", (channel_id,)).fetchone()
    if row is not None:
        c.execute("UPDATE round_trips SET detail = ? WHERE channel_id = ?",
                  (dumps({**(loads(row[0]) or {}), **detail}), channel_id))


def _finish(c: sqlite3.Connection, channel_id: str, status: str, callback_event: int | None,
            detail: dict[str, Any] | None, from_statuses: tuple[str, ...]) -> bool:
    row = c.execute("SELECT status, detail FROM round_trips WHERE channel_id = ?", (channel_id,)).fetchone()
    if row is None or row[0] not in from_statuses:
        return False
    merged = {**(loads(row[1]) or {}), **(detail or {})}
    c.execute("UPDATE round_trips SET status = ?, callback_event = coalesce(?, callback_event), detail = ? "
              "WHERE channel_id = ?", (status, callback_event, dumps(merged), channel_id))
    return True
