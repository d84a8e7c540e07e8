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
    """Remove events received before `before` (Unix time), all but the newest `keep`, or `everything`; returns how
    many events were removed. Ids grow with time, so each criterion is one id boundary."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            last = _last_to_remove(connection, before, keep, everything)
            removed = _remove_up_to(connection, last) if last is not None else 0
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return removed
    except sqlite3.Error as exc:
        raise PruneError(f"cannot prune the capture store {path}: {exc}") from exc
    finally:
        connection.close()


def _last_to_remove(c: sqlite3.Connection, before: float | None, keep: int | None, everything: bool) -> int | None:
    """The newest id that goes, or None when nothing does."""
    if everything:
        return c.execute("SELECT max(id) FROM events").fetchone()[0]
    boundaries = []
    if keep is not None:
        row = c.execute("SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?", (keep,)).fetchone()
        boundaries.append(row[0] if row else None)
    if before is not None:
        boundaries.append(c.execute("SELECT max(id) FROM events WHERE received_at < ?", (before,)).fetchone()[0])
    found = [b for b in boundaries if b is not None]
    return max(found) if found else None


def _remove_up_to(c: sqlite3.Connection, last: int) -> int:
    runs = "SELECT id FROM runs WHERE trigger_event <= ?"
    c.execute(f"DELETE FROM job_states WHERE run_id IN ({runs})", (last,))
    c.execute("DELETE FROM runs WHERE trigger_event <= ?", (last,))
    c.execute("DELETE FROM round_trips WHERE event_id <= ?", (last,))
    c.execute("DELETE FROM deliveries WHERE event_id <= ?", (last,))
    return c.execute("DELETE FROM events WHERE id <= ?", (last,)).rowcount


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
