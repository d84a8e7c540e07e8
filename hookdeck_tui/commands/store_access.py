"""Opening the capture store for a command, apart from `common` so that `events` and `show` never load the config
models (pydantic) or the listener (httpx) just to read a few rows."""

from __future__ import annotations

import sys

from hookdeck_tui.store import Store, StoreError, default_db_path


def store_at(command: str, db: str | None, *, missing_exit: int | None = None) -> Store | int:
    """The capture store at --db / $HOOKTUI_DB / the XDG default, or the exit code after saying why not. With
    `missing_exit`, a store that does not exist yet is not created (reading never creates one): that code instead."""
    path = default_db_path(db)
    if missing_exit is not None and not path.exists():
        print(f"hooktui {command}: no capture store at {path} yet (nothing has been captured there)", file=sys.stderr)
        return missing_exit
    try:
        return Store(path)
    except StoreError as exc:
        print(f"hooktui {command}: {exc}", file=sys.stderr)
        return 2
