"""What every part of the store shares: opening the file (schema migrated, read-only when asked), the one writer
every write goes through, and the locked reader connection every read uses."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hookdeck_tui.store.access import read_only_uri
from hookdeck_tui.store.schema import SCHEMA_VERSION, SchemaError, migrate
from hookdeck_tui.store.writer import GroupCommitWriter

Row = tuple[Any, ...]


class StoreError(Exception):
    """The store cannot be opened (bad path, permissions, a newer schema)."""


class StoreBase:
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

    @property
    def schema_version(self) -> int:
        return self._scalar("PRAGMA user_version")

    def close(self) -> None:
        self._writer.close()
        with self._read_lock:
            self._reader.close()

    def start_writer_process(self) -> None:
        """For a console (call on its event loop): from now on this loop's writes are committed by a child process
        (writer_process.py), off the loop's core. Short-lived commands keep committing in process: starting one
        takes ~0.2 s."""
        self._writer.start_process(str(self.path), self._synchronous)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._read_lock:
            rows: list[Row] = self._reader.execute(sql, params).fetchall()
        return rows

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> int:
        """The one integer a query like `SELECT count(*) …` answers."""
        value = self._query(sql, params)[0][0]
        return int(value)


def execute(c: sqlite3.Connection, sql: str, params: Row) -> int:
    """A write as a module-level function (picklable, so the writer process can run it): the row id it made."""
    return c.execute(sql, params).lastrowid or 0
