"""The single writer: whatever was queued together is committed as one transaction (group commit).

Why this shape: SQLite allows one writer at a time, and a commit is the expensive part. Writes queued on an event
loop in the same turn share one commit; each caller's future resolves only after the transaction holding its row
has committed, so "acknowledged" always means "on disk" (WAL; survives a killed process).

Where the commit runs: for a console's loop, in a child process (writer_process.py, see `start_process`), so that
the listener's single core does not spend a fifth of each request inside SQLite. Everything else — short-lived
commands, writes from other threads (an import), any other loop — commits in this process, under one lock.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading
from typing import Any

from hookdeck_tui.store.commit import (
    MAX_BATCH,
    Connect,
    Operation,
    Outcome,
    RowInsert,
    StoreWriteError,
    commit_batch,
    fail_all,
    resolve_all,
)
from hookdeck_tui.store.writer_process import WriterProcess

__all__ = ["Connect", "GroupCommitWriter", "RowInsert", "StoreWriteError"]


class GroupCommitWriter:
    def __init__(self, connect: Connect) -> None:
        self._connection: sqlite3.Connection | None = connect(check_same_thread=False)
        self._lock = threading.Lock()
        self._pending: dict[asyncio.AbstractEventLoop, list[tuple[Operation, asyncio.Future[Any]]]] = {}
        self._child: tuple[str, str] | None = None  # (database path, synchronous) once a writer process is wanted
        self._process: WriterProcess | None = None  # bound to the first loop that writes
        self._closed = False
        self._commits_here = 0

    @property
    def commits(self) -> int:
        """How many transactions were committed (benchmarks and tests read it)."""
        return self._commits_here + (self._process.commits if self._process is not None else 0)

    def submit(self, operation: Operation) -> concurrent.futures.Future[Any]:
        """Commit `operation` now, from any thread; the returned future is already resolved."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._commit_now([(operation, future)])
        return future

    def submit_async(self, operation: Operation) -> asyncio.Future[Any]:
        """For a caller on an event loop: queued, and committed with everything else queued in this turn."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if self._closed:
            future.set_exception(StoreWriteError("the store is closed"))
            return future
        pending = self._pending.get(loop)
        if pending is None:
            pending = self._pending[loop] = []
            loop.call_soon(self._flush, loop)
        pending.append((operation, future))
        return future

    def start_process(self, path: str, synchronous: str) -> None:
        """Commit the running loop's writes in a writer process from now on; it starts at once, ready for the
        first write."""
        self._child = (path, synchronous)
        self._process_for(asyncio.get_running_loop())

    def close(self) -> None:
        """Commit what is still queued (its callers' loops may be gone; the rows still count), then stop."""
        if self._closed:
            return
        self._closed = True
        for loop in list(self._pending):
            batch = self._pending.pop(loop)
            for start in range(0, len(batch), MAX_BATCH):
                self._commit_now([(operation, None) for operation, _ in batch[start:start + MAX_BATCH]])
        if self._process is not None:
            self._process.close()
        with self._lock:
            if self._connection is not None:
                self._connection.close()
            self._connection = None

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        """A loop callback: whatever goes wrong here fails this batch's callers (who answer 503), since an
        exception escaping to the loop would leave them waiting for ever."""
        batch = self._pending.pop(loop, [])
        for start in range(0, len(batch), MAX_BATCH):
            part = batch[start:start + MAX_BATCH]
            try:
                process = self._process_for(loop)
                if process is not None:
                    process.send(part)
                else:
                    self._commit_now(part)
            except Exception as exc:
                fail_all([future for _, future in part], f"could not store: {exc!r}")

    def _process_for(self, loop: asyncio.AbstractEventLoop) -> WriterProcess | None:
        """The writer process for this loop: started for the console's loop (and again if it stopped); None for
        any other loop, or when there is none to be had."""
        if self._child is None or self._closed:
            return None
        process = self._process
        if process is not None and process.loop is loop and process.alive:
            return process
        if process is not None and process.loop is not loop and process.alive and not process.loop.is_closed():
            return None
        if process is not None:
            process.close()
            self._commits_here += process.commits
        try:
            self._process = WriterProcess(*self._child, loop)
        except (OSError, ValueError, NotImplementedError):  # no interpreter to start, or a loop without pipes
            self._process = None
            self._child = None  # commit in this process from now on
        return self._process

    def _commit_now(self, batch: list[tuple[Operation, Any]]) -> None:
        outcomes: list[Outcome]
        with self._lock:
            if self._connection is None:
                outcomes = [(future, None, StoreWriteError("the store is closed")) for _, future in batch]
            else:
                try:
                    results, commits = commit_batch(self._connection, [operation for operation, _ in batch])
                except Exception as exc:
                    failed: BaseException = StoreWriteError(f"could not store: {exc!r}")
                    results, commits = [(None, failed)] * len(batch), 0
                self._commits_here += commits
                outcomes = [(future, result, error) for (_, future), (result, error) in zip(batch, results,
                                                                                             strict=True)]
        resolve_all(outcomes)
