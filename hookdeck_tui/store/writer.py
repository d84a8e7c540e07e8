"""The single writer: one thread owns the write connection and commits whatever is queued as one transaction.

Why: SQLite allows one writer at a time, and a commit is the expensive part. Requests that arrive together share
one commit (group commit), and each caller's future resolves only after the transaction holding its row has
committed, so "acknowledged" always means "on disk" (WAL; survives a killed process).
"""

from __future__ import annotations

import concurrent.futures
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

Operation = Callable[[sqlite3.Connection], Any]
MAX_BATCH = 512
_STOP = object()


class StoreWriteError(Exception):
    """A write could not be committed (disk full, read-only file, ...); nothing was acknowledged."""


class GroupCommitWriter:
    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="hooktui-store-writer", daemon=True)
        self._closed = False
        self.commits = 0  # how many transactions were committed (benchmarks read it)
        self._thread.start()

    def submit(self, operation: Operation) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        if self._closed:
            future.set_exception(StoreWriteError("the store is closed"))
            return future
        self._queue.put((operation, future))
        return future

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        connection = self._connect()
        try:
            stopping = False
            while not stopping:
                item = self._queue.get()
                if item is _STOP:
                    break
                batch = [item]
                while len(batch) < MAX_BATCH:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stopping = True
                        break
                    batch.append(item)
                self._commit(connection, batch)
        finally:
            connection.close()

    def _commit(self, connection: sqlite3.Connection, batch: list[tuple[Operation, concurrent.futures.Future]]) -> None:
        try:
            connection.execute("BEGIN IMMEDIATE")
            results = [operation(connection) for operation, _ in batch]
            connection.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - every failure must reach the waiting callers
            if connection.in_transaction:
                try:
                    connection.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if len(batch) > 1:
                for one in batch:  # isolate: one bad write must not fail the others
                    self._commit(connection, [one])
                return
            _resolve(batch[0][1], exception=StoreWriteError(f"could not store: {exc}"))
            return
        self.commits += 1
        for (_, future), result in zip(batch, results, strict=True):
            _resolve(future, result=result)


def _resolve(future: concurrent.futures.Future, *, result: Any = None, exception: BaseException | None = None) -> None:
    if future.done():  # the caller gave up waiting; the write itself stands
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
