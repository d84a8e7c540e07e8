"""`hooktui doctor`: is the capture store healthy? SQLite's own integrity check on a read-only connection, what
it holds, and whether a console could write to it. Exit 0 healthy, 1 a problem found, 2 no store there."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from hookdeck_tui.store import default_db_path
from hookdeck_tui.store.access import read_only_uri, write_problem
from hookdeck_tui.store.schema import SCHEMA_VERSION

TABLES = ("events", "runs", "job_states", "deliveries", "round_trips")
SHOWN_PROBLEMS = 20


def run_doctor(db: str | None) -> int:
    path = default_db_path(db)
    if not path.is_file():
        print(f"hooktui doctor: no capture store at {path}", file=sys.stderr)
        return 2
    print(f"capture store: {path} ({_size(path)}{_wal(path)})")
    problems = _inspect(path)
    unwritable = write_problem(path)
    print(f"writable: {'yes' if unwritable is None else 'no'}")
    if unwritable is not None:
        problems.insert(0, f"it cannot be written ({unwritable}): hooktui and hooktui listen will not start on it")
    for problem in problems[:SHOWN_PROBLEMS]:
        print(f"problem: {problem}")
    if len(problems) > SHOWN_PROBLEMS:
        print(f"problem: … and {len(problems) - SHOWN_PROBLEMS} more")
    if problems and unwritable is not None and len(problems) == 1:
        print(f"hooktui doctor: {path} reads fine but cannot be written: check its permissions and filesystem",
              file=sys.stderr)
        return 1
    if problems:
        print(f"hooktui doctor: {path} is damaged: move it aside (hooktui then starts a new store there); SQLite's "
              f"own `sqlite3 {path} .recover` may save some of its rows", file=sys.stderr)
        return 1
    print("integrity: ok")
    return 0


def _inspect(path: Path) -> list[str]:
    """Print the schema version and row counts; return what is wrong (SQLite's integrity-check lines)."""
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True, timeout=30)
    except sqlite3.Error as exc:
        return [f"cannot open: {exc}"]
    problems: list[str] = []
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        print(f"schema: version {version} (this hooktui writes {SCHEMA_VERSION})")
        counts = []
        for table in TABLES:
            try:
                counts.append(f"{table} {connection.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:,}")
            except sqlite3.Error as exc:
                problems.append(f"{table}: {exc}")
        print("rows: " + ", ".join(counts))
        found = [row[0] for row in connection.execute("PRAGMA integrity_check(1000)")]
        problems += [line for line in found if line != "ok"]
    except sqlite3.Error as exc:
        problems.append(str(exc))
    finally:
        connection.close()
    return problems


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024 / 1024:.1f} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"


def _wal(path: Path) -> str:
    wal = Path(f"{path}-wal")
    return f", WAL {_size(wal)}" if wal.is_file() and wal.stat().st_size else ""
