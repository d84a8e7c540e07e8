"""How a capture store is opened when it may not be writable, and how to tell whether it is.

Reading commands (events, show, export, doctor) open the file read-only: they never create or change anything,
and a store on a read-only filesystem still opens — there SQLite cannot make the `-shm` file a WAL database
normally needs, so the file is opened as immutable (safe: nothing can be writing to it). A console, which must
write, probes first: a store it cannot write would answer 503 to every request, so it says so at start."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

DAMAGED = ("malformed", "not a database", "disk image", "corrupt")


def read_only_uri(path: Path) -> str:
    """An SQLite URI that opens `path` without writing: `mode=ro`, or `immutable=1` when its directory cannot
    be written (a read-only filesystem, whoever we are)."""
    flags = "mode=ro" if os.access(path.parent, os.W_OK) else "immutable=1"
    return f"{path.resolve().as_uri()}?{flags}"


def write_problem(path: Path) -> str | None:
    """Why nothing can be written to the store at `path` (an immutable or read-only file), or None. It writes
    the schema version over itself in a transaction it rolls back: no change, but SQLite must be able to."""
    try:
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            connection.execute(f"PRAGMA user_version = {int(version)}")
        finally:
            connection.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        connection.close()
    return None


def is_damage(exc: sqlite3.Error) -> bool:
    """A damaged file (garbage in its pages), as opposed to a busy or missing one."""
    return isinstance(exc, sqlite3.DatabaseError) and any(word in str(exc).lower() for word in DAMAGED)
