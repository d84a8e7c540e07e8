"""The capture store: every request, run and delivery in one SQLite file.

Writes go through one group-commit writer (`writer.py`); reads use their own connection, so listing
history never waits behind a burst of writes. `await store.append(event)` returns the event's id once the row
is committed — the listener acknowledges a request only after that.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from hookdeck_tui.store.access import read_only_uri
from hookdeck_tui.store.filters import EventFilter, FilterError
from hookdeck_tui.store.location import default_db_path
from hookdeck_tui.store.records import CapturedEvent, SignatureVerdict, dumps, loads
from hookdeck_tui.store.schema import SCHEMA_VERSION, SchemaError, migrate
from hookdeck_tui.store.writer import GroupCommitWriter, RowInsert, StoreWriteError

__all__ = [
    "CapturedEvent", "EventFilter", "FilterError", "SchemaError", "SignatureVerdict", "Store", "StoreError",
    "StoreWriteError", "default_db_path",
]

_SUMMARY_COLUMNS = ("id, received_at, listener, method, path, query, headers, X'' AS body, remote_addr, "
                    "response_status, sig_scheme, sig_status, sig_reason, signature, route, match, forward, origin, "
                    "origin_ref, timings, error, meta, body_size")
_FULL_COLUMNS = _SUMMARY_COLUMNS.replace("X'' AS body", "body")
_TALLY = ("count(*), coalesce(sum(sig_status = 'valid'), 0), coalesce(sum(sig_status = 'invalid'), 0), "
          "coalesce(sum(route IS NULL AND origin != 'callback' AND listener NOT LIKE '→%'), 0)")
_TALLY_KEYS = ("total", "valid", "invalid", "unmatched")
_UPDATABLE = {"response_status", "route", "match", "forward", "error", "timings", "meta"}


class StoreError(Exception):
    """The store cannot be opened (bad path, permissions, a newer schema)."""


class Store:
    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL",
                 clock: Callable[[], float] = time.time, read_only: bool = False) -> None:
        """`clock`: the wall clock every stored record is stamped with (a test can fix it). `read_only`: for the
        commands that only read — nothing is created or changed, and a read-only filesystem is fine (access.py)."""
        self.path = Path(path)
        self.clock = clock
        self._synchronous = synchronous
        self._read_only = read_only
        try:
            if not read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            setup = self._open()
            try:
                if read_only and setup.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                    setup.close()
                    setup = self._open(read_only=False)  # an older layout is upgraded once, as any command does
                migrate(setup)
            finally:
                setup.close()
            self._reader = self._open(check_same_thread=False)
            self._writer = GroupCommitWriter(self._open)
        except (OSError, sqlite3.Error, SchemaError) as exc:
            raise StoreError(f"cannot open the capture store {self.path}: {exc}") from exc
        self._read_lock = threading.Lock()

    def _open(self, check_same_thread: bool = True, *, read_only: bool | None = None) -> sqlite3.Connection:
        if self._read_only if read_only is None else read_only:
            return sqlite3.connect(read_only_uri(self.path), uri=True, isolation_level=None,
                                   check_same_thread=check_same_thread, timeout=30)
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=check_same_thread,
                                     timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={self._synchronous}")
        return connection

    @property
    def commits(self) -> int:
        return self._writer.commits

    def close(self) -> None:
        self._writer.close()
        with self._read_lock:
            self._reader.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writes ----------------------------------------------------------------------------------------
    def start_writer_process(self) -> None:
        """For a console (call on its event loop): from now on this loop's writes are committed by a child process
        (writer_process.py), off the loop's core. Short-lived commands keep committing in process: starting one
        takes ~0.2 s."""
        self._writer.start_process(str(self.path), self._synchronous)

    async def append(self, event: CapturedEvent) -> int:
        """Store `event`; returns its id after the commit. Raises StoreWriteError if it could not be stored."""
        try:
            values = _event_values(event)
        except Exception as exc:
            raise StoreWriteError(f"could not store: {exc!r}") from exc
        event.id = await self._writer.submit_async(RowInsert(_INSERT_EVENT, values, _event_row))
        return event.id

    def append_sync(self, event: CapturedEvent) -> int:
        event.id = self._writer.submit(RowInsert(_INSERT_EVENT, _event_values(event), _event_row)).result()
        return event.id

    def append_many(self, events: list[CapturedEvent]) -> list[int]:
        """Store many events (an import) in one transaction: all of them or none, even when the process is killed
        halfway; their ids are read back from the table, so they are the ones given even while a listener
        writes too. Raises StoreWriteError (nothing stored)."""
        rows = [_event_row(*_event_values(event)) for event in events]
        ids = self._writer.submit(partial(_insert_all, rows=rows)).result()
        for event, event_id in zip(events, ids, strict=True):
            event.id = event_id
        return ids

    async def update_event(self, event_id: int, **fields: Any) -> None:
        """Record later facts about an event (forward result, workflow match, response status)."""
        await self._writer.submit_async(partial(_update_event, event_id=event_id, fields=fields))

    async def save_run(self, run_id: str, workflow: str, status: str, *, input: Any = None, output: Any = None,
                       error: str | None = None, trigger_event: int | None = None) -> None:
        """Insert or update a workflow run (the workflow engine calls this on every state change)."""
        now = self.clock()
        finished = now if status in ("succeeded", "failed", "timed_out", "cancelled") else None
        await self._writer.submit_async(partial(_execute, sql=_SAVE_RUN, params=(
            run_id, workflow, status, dumps(input), dumps(output), error, trigger_event, now, now, finished)))

    async def add_job_state(self, run_id: str, job_id: str, state: str, detail: Any = None) -> int:
        return await self._writer.submit_async(partial(_execute, sql=(
            "INSERT INTO job_states (run_id, job_id, state, at, detail) VALUES (?, ?, ?, ?, ?)"),
            params=(run_id, job_id, state, self.clock(), dumps(detail))))

    async def add_delivery(self, event_id: int | None, kind: str, target: str, *, attempt: int = 1,
                           started_at: float | None = None, status: int | None = None,
                           latency_ms: float | None = None, response_headers: list[tuple[str, str]] | None = None,
                           response_body: bytes | None = None, error: str | None = None) -> int:
        return await self._writer.submit_async(partial(_execute, sql=(
            "INSERT INTO deliveries (event_id, kind, target, attempt, started_at, status, latency_ms, "
            "response_headers, response_body, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"), params=(
            event_id, kind, target, attempt, started_at or self.clock(), status, latency_ms,
            dumps(response_headers), response_body, error)))

    async def start_round_trip(self, channel_id: str, event_id: int, timeout: float,
                               detail: dict[str, Any] | None = None, started_at: float | None = None) -> None:
        now = self.clock() if started_at is None else started_at
        await self._writer.submit_async(partial(_execute, sql=(
            "INSERT OR REPLACE INTO round_trips (channel_id, event_id, started_at, deadline, status, detail) "
            "VALUES (?, ?, ?, ?, 'waiting', ?)"), params=(channel_id, event_id, now, now + timeout,
                                                         dumps(detail or {}))))

    async def annotate_round_trip(self, channel_id: str, detail: dict[str, Any]) -> None:
        """Merge `detail` into a round trip's, whatever its status (the app's answer may come after its callback)."""
        await self._writer.submit_async(partial(_annotate_round_trip, channel_id=channel_id, detail=detail))

    async def finish_round_trip(self, channel_id: str, status: str, *, callback_event: int | None = None,
                                detail: dict[str, Any] | None = None,
                                from_statuses: tuple[str, ...] = ("waiting",)) -> bool:
        """Set the outcome (merging `detail` into what is there) if the round trip is in one of `from_statuses`;
        False when another outcome came first."""
        return await self._writer.submit_async(partial(
            _finish_round_trip, channel_id=channel_id, status=status, callback_event=callback_event, detail=detail,
            from_statuses=from_statuses))

    # --- reads -----------------------------------------------------------------------------------------
    def _query(self, sql: str, params: list[Any] | tuple = ()) -> list[tuple]:
        with self._read_lock:
            return self._reader.execute(sql, params).fetchall()

    def get(self, event_id: int) -> CapturedEvent | None:
        rows = self._query(f"SELECT {_FULL_COLUMNS} FROM events WHERE id = ?", (event_id,))
        return _row_to_event(rows[0]) if rows else None

    def page(self, *, before: int | None = None, after: int | None = None, limit: int = 50,
             filters: EventFilter | None = None, include_body: bool = False) -> list[CapturedEvent]:
        """Events newest first (`before` an id), or oldest first after `after` — never the whole history."""
        where, params = (filters or EventFilter()).sql()
        columns = _FULL_COLUMNS if include_body else _SUMMARY_COLUMNS
        if after is not None:
            sql = f"SELECT {columns} FROM events WHERE id > ? AND {where} ORDER BY id ASC LIMIT ?"
            return [_row_to_event(r) for r in self._query(sql, [after, *params, limit])]
        cursor = "id < ? AND " if before is not None else ""
        sql = f"SELECT {columns} FROM events WHERE {cursor}{where} ORDER BY id DESC LIMIT ?"
        return [_row_to_event(r) for r in self._query(sql, ([before] if before is not None else []) + params + [limit])]

    def from_newest(self, offset: int, limit: int, filters: EventFilter | None = None) -> list[CapturedEvent]:
        """Summaries (no body) at positions [offset, offset+limit) counted from the newest — what a list that
        shows the newest at the bottom pages through; the bottom of a huge history is the cheapest to read."""
        where, params = (filters or EventFilter()).sql()
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM events WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?"
        return [_row_to_event(r) for r in self._query(sql, [*params, limit, max(offset, 0)])]

    def count(self, filters: EventFilter | None = None, *, up_to: int | None = None) -> int:
        where, params = (filters or EventFilter()).sql()
        if up_to is not None:
            where, params = f"id <= ? AND {where}", [up_to, *params]
        if where == "1":
            return self._query("SELECT count(*) FROM events")[0][0]
        return self._query(f"SELECT count(*) FROM events WHERE {where}", params)[0][0]

    def count_since(self, after_id: int, filters: EventFilter | None = None) -> tuple[int, int]:
        """(matching events with id > after_id, the newest id) in one read: a list over a huge history re-counts
        only what is new, along the primary key, instead of scanning the table each time events arrive."""
        where, params = (filters or EventFilter()).sql()
        sql = f"SELECT coalesce(sum(CASE WHEN {where} THEN 1 ELSE 0 END), 0), coalesce(max(id), ?) FROM events " \
              "WHERE id > ?"
        matching, newest = self._query(sql, [*params, after_id, after_id])[0]
        return matching, newest

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
        return dict(zip(_TALLY_KEYS, row, strict=True)), newest

    def last_id(self) -> int:
        return self._query("SELECT coalesce(max(id), 0) FROM events")[0][0]

    def runs(self, limit: int = 50, *, run_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """The newest runs, or the runs with these ids."""
        columns = ("SELECT id, workflow, status, input, output, error, trigger_event, started_at, updated_at, "
                   "finished_at FROM runs")
        if run_ids is not None:
            marks = ", ".join("?" * len(run_ids))
            rows = self._query(f"{columns} WHERE id IN ({marks}) ORDER BY started_at", run_ids) if run_ids else []
        else:
            rows = self._query(f"{columns} ORDER BY started_at DESC LIMIT ?", (limit,))
        keys = ("id", "workflow", "status", "input", "output", "error", "trigger_event", "started_at", "updated_at",
                "finished_at")
        return [{**dict(zip(keys, row, strict=True)), "input": loads(row[3]), "output": loads(row[4])} for row in rows]

    def job_states(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT job_id, state, at, detail FROM job_states WHERE run_id = ? ORDER BY id", (run_id,))
        return [{"job_id": r[0], "state": r[1], "at": r[2], "detail": loads(r[3])} for r in rows]

    def deliveries(self, event_id: int) -> list[dict[str, Any]]:
        rows = self._query("SELECT id, kind, target, attempt, started_at, status, latency_ms, response_headers, "
                           "response_body, error FROM deliveries WHERE event_id = ? ORDER BY id", (event_id,))
        keys = ("id", "kind", "target", "attempt", "started_at", "status", "latency_ms", "response_headers",
                "response_body", "error")
        return [{**dict(zip(keys, r, strict=True)), "response_headers": loads(r[7])} for r in rows]

    def round_trip(self, channel_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT channel_id, event_id, started_at, deadline, status, callback_event, detail "
                           "FROM round_trips WHERE channel_id = ?", (channel_id,))
        if not rows:
            return None
        keys = ("channel_id", "event_id", "started_at", "deadline", "status", "callback_event", "detail")
        return {**dict(zip(keys, rows[0], strict=True)), "detail": loads(rows[0][6]) or {}}

    def derived_from(self, event_id: int, limit: int = 20) -> list[CapturedEvent]:
        """The newest replays and callbacks of an event (without bodies)."""
        rows = self._query(f"SELECT {_SUMMARY_COLUMNS} FROM events WHERE origin_ref = ? ORDER BY id DESC LIMIT ?",
                           (event_id, limit))
        return [_row_to_event(row) for row in rows]

    @property
    def schema_version(self) -> int:
        return self._query("PRAGMA user_version")[0][0]


_INSERT_EVENT = (
    "INSERT INTO events (received_at, listener, method, path, query, headers, body, body_size, remote_addr, "
    "response_status, sig_scheme, sig_status, sig_reason, signature, route, match, forward, origin, origin_ref, "
    "timings, error, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _insert_all(connection: sqlite3.Connection, rows: list[tuple]) -> list[int]:
    """Inside the writer's transaction, which holds SQLite's only write lock: no other row comes in between."""
    before = connection.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    connection.executemany(_INSERT_EVENT, rows)
    return [row[0] for row in connection.execute("SELECT id FROM events WHERE id > ? ORDER BY id", (before,))]


def _event_values(e: CapturedEvent) -> tuple:
    """The event's stored fields as plain values (no JSON yet, no classes the writer process would import)."""
    sig = e.signature
    return (e.received_at, e.listener, e.method, e.path, e.query, e.headers, e.body, e.remote_addr,
            e.response_status, sig.scheme if sig else None, sig.status if sig else None, sig.reason if sig else None,
            sig.details if sig else None, e.route, e.match, e.forward, e.origin, e.origin_ref, e.timings, e.error,
            e.meta)


def _event_row(received_at, listener, method, path, query, headers, body, remote_addr, status, sig_scheme,
               sig_status, sig_reason, sig_details, route, match, forward, origin, origin_ref, timings, error,
               meta) -> tuple:
    return (received_at, listener, method, path, query, dumps(headers), body, len(body), remote_addr, status,
            sig_scheme, sig_status, sig_reason, dumps(sig_details) if sig_status else None, route, dumps(match),
            dumps(forward), origin, origin_ref, dumps(timings), error, dumps(meta))


# --- writes as module-level functions: picklable, so the writer process can run them -------------------------
_SAVE_RUN = (
    "INSERT INTO runs (id, workflow, status, input, output, error, trigger_event, started_at, updated_at, "
    "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status, "
    "output = coalesce(excluded.output, runs.output), error = coalesce(excluded.error, runs.error), "
    "updated_at = excluded.updated_at, finished_at = excluded.finished_at")


def _execute(c: sqlite3.Connection, sql: str, params: tuple) -> int:
    return c.execute(sql, params).lastrowid


def _annotate_round_trip(c: sqlite3.Connection, channel_id: str, detail: dict[str, Any]) -> None:
    row = c.execute("SELECT detail FROM round_trips WHERE channel_id = ?", (channel_id,)).fetchone()
    if row is not None:
        c.execute("UPDATE round_trips SET detail = ? WHERE channel_id = ?",
                  (dumps({**(loads(row[0]) or {}), **detail}), channel_id))


def _finish_round_trip(c: sqlite3.Connection, channel_id: str, status: str, callback_event: int | None,
                       detail: dict[str, Any] | None, from_statuses: tuple[str, ...]) -> bool:
    row = c.execute("SELECT status, detail FROM round_trips WHERE channel_id = ?", (channel_id,)).fetchone()
    if row is None or row[0] not in from_statuses:
        return False
    merged = {**(loads(row[1]) or {}), **(detail or {})}
    c.execute("UPDATE round_trips SET status = ?, callback_event = coalesce(?, callback_event), detail = ? "
              "WHERE channel_id = ?", (status, callback_event, dumps(merged), channel_id))
    return True


def _update_event(c: sqlite3.Connection, event_id: int, fields: dict[str, Any]) -> None:
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
    json_fields = {"match", "forward", "timings", "meta"}
    assignments = ", ".join(f"{name} = ?" for name in fields)
    values = [dumps(v) if k in json_fields else v for k, v in fields.items()]
    c.execute(f"UPDATE events SET {assignments} WHERE id = ?", (*values, event_id))


def _row_to_event(row: tuple) -> CapturedEvent:
    (id_, received_at, listener, method, path, query, headers, body, remote_addr, status, sig_scheme, sig_status,
     sig_reason, signature, route, match, forward, origin, origin_ref, timings, error, meta, size) = row
    verdict = (SignatureVerdict(sig_scheme, sig_status, sig_reason or "", loads(signature) or {})
               if sig_status else None)
    return CapturedEvent(
        id=id_, received_at=received_at, listener=listener, method=method, path=path, query=query,
        headers=[(k, v) for k, v in loads(headers)], body=bytes(body), remote_addr=remote_addr,
        response_status=status, signature=verdict, route=route, match=loads(match), forward=loads(forward),
        origin=origin, origin_ref=origin_ref, timings=loads(timings), error=error, meta=loads(meta),
        stored_body_size=size)
