"""Removing old events: `hooktui prune` and the config's `store: {keep: N}` / `{keep_days: D}`. A capture store
otherwise only grows. Events go with everything that hangs off them (forward attempts, round trips, the runs they
triggered and those runs' job states), in one transaction: a prune either happens whole or not at all. Its own
connection, so a console's writer (in process or not) only waits for the moment the deletion commits."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

PRUNE_EVERY = 600.0  # seconds between a long-running console's retention passes


class PruneError(Exception):
    """The store could not be pruned (locked too long, read-only, not a capture store)."""


def prune(path: str | Path, *, before: float | None = None, keep: int | None = None, everything: bool = False) -> int:
    """Remove events received before `before` (Unix time), all but the newest `keep` (by id: the last captured),
    or `everything`; returns how many events were removed. `before` goes by each event's own time, never by id:
    an import keeps its events' original times under new, higher ids, so an id boundary would take recent events
    with it."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            removed = _remove(connection, _doomed(connection, before, keep, everything))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return removed
    except sqlite3.Error as exc:
        raise PruneError(f"cannot prune the capture store {path}: {exc}") from exc
    finally:
        connection.close()


def _doomed(c: sqlite3.Connection, before: float | None, keep: int | None,
            everything: bool) -> tuple[str, list[object]]:
    """The WHERE clause (over `events`) of what goes, and its parameters."""
    if everything:
        return "1", []
    clauses: list[str] = []
    parameters: list[object] = []
    if keep is not None:
        row = c.execute("SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?", (keep,)).fetchone()
        if row is not None:
            clauses.append("id <= ?")
            parameters.append(row[0])
    if before is not None:
        clauses.append("received_at < ?")
        parameters.append(before)
    return (" OR ".join(clauses) or "0"), parameters


def _remove(c: sqlite3.Connection, doomed: tuple[str, list[object]]) -> int:
    where, parameters = doomed
    c.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY)")
    c.execute("DELETE FROM doomed")
    c.execute(f"INSERT INTO doomed SELECT id FROM events WHERE {where}", parameters)
    runs = "SELECT id FROM runs WHERE trigger_event IN (SELECT id FROM doomed)"
    c.execute(f"DELETE FROM job_states WHERE run_id IN ({runs})")
    c.execute("DELETE FROM runs WHERE trigger_event IN (SELECT id FROM doomed)")
    c.execute("DELETE FROM round_trips WHERE event_id IN (SELECT id FROM doomed)")
    c.execute("DELETE FROM deliveries WHERE event_id IN (SELECT id FROM doomed)")
    removed = c.execute("DELETE FROM events WHERE id IN (SELECT id FROM doomed)").rowcount
    c.execute("DELETE FROM doomed")
    return removed


def retention_cutoff(keep_days: float | None, now: float | None = None) -> float | None:
    return None if keep_days is None else (time.time() if now is None else now) - keep_days * 86400


async def keep_pruned(path: str | Path, keep: int | None, keep_days: float | None,
                      report: Callable[[int], None], every: float = PRUNE_EVERY) -> None:
    """A console's retention: prune at start, then every `every` seconds, off the event loop; `report` hears how
    many went each time some did. Never raises (a failed pass is reported as -1 and retried next time)."""
    while True:
        try:
            removed = await asyncio.to_thread(prune, path, before=retention_cutoff(keep_days), keep=keep)
        except PruneError:
            removed = -1
        if removed:
            report(removed)
        await asyncio.sleep(every)
