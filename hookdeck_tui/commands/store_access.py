"""Opening the capture store for a command, apart from `common` so that `events` and `show` never load the config
models (pydantic) or the listener (httpx) just to read a few rows."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from hookdeck_tui.store import Store, StoreError, default_db_path
from hookdeck_tui.store.access import is_damage


def store_at(command: str, db: str | None, *, missing_exit: int | None = None,
             read_only: bool = False) -> Store | int:
    """The capture store at --db / $HOOKTUI_DB / the XDG default, or the exit code after saying why not. With
    `missing_exit`, a store that does not exist yet is not created (reading never creates one): that code instead.
    `read_only` for commands that only read: then a store on a read-only filesystem opens too."""
    path = default_db_path(db)
    if missing_exit is not None and not path.exists():
        print(f"hooktui {command}: no capture store at {path} yet (nothing has been captured there)", file=sys.stderr)
        return missing_exit
    try:
        return Store(path, read_only=read_only)
    except StoreError as exc:
        if isinstance(exc.__cause__, sqlite3.DatabaseError) and is_damage(exc.__cause__):
            return unreadable_store(command, path, exc.__cause__)
        print(f"hooktui {command}: {exc}", file=sys.stderr)
        return 2


def unreadable_store(command: str, path: Path, exc: sqlite3.DatabaseError) -> int:
    """Exit 1 after one line saying what went wrong reading the store, and what to run when it is damaged."""
    if is_damage(exc):
        print(f"hooktui {command}: the capture store {path} is damaged ({exc}); run `hooktui doctor --db {path}` "
              "to see what is left", file=sys.stderr)
    else:
        print(f"hooktui {command}: cannot read the capture store {path}: {exc}", file=sys.stderr)
    return 1
