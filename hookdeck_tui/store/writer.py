"""The single writer: one thread owns the write connection and commits whatever is queued as one transaction.

Why: SQLite allows one writer at a time, and a commit is the expensive part. Requests that arrive together share
one commit (group commit), and each caller's future resolves only after the transaction holding its row has
committed, so "acknowledged" always means "on disk" (WAL; survives a killed process).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

Operation = Callable[[sqlite3.Connection], Any]
MAX_BATCH = 512
BUSY_LINGER = 0.001  # seconds to wait for company when the last batch showed load; an idle write commits at once
_STOP = object()


class RowInsert:
    """An INSERT the writer may run together with its neighbours in one `executemany`; the result is the new
    row's id. (Within one transaction SQLite gives rows without an explicit id consecutive rowids, and this
    thread is the only writer, so a batch's ids are the last one counted back.)"""

    __slots__ = ("sql", "row")

    def __init__(self, sql: str, row: tuple) -> None:
        self.sql, self.row = sql, row

    def __call__(self, connection: sqlite3.Connection) -> int:
        return connection.execute(self.sql, self.row).lastrowid


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

    def submit_async(self, operation: Operation) -> asyncio.Future:
        """Like `submit`, for a caller on an event loop: a batch wakes each loop once, not once per write."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if self._closed:
            future.set_exception(StoreWriteError("the store is closed"))
            return future
        self._queue.put((operation, _LoopFuture(loop, future)))
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
            busy = False
            while not stopping:
                item = self._queue.get()
                if item is _STOP:
                    break
                if busy:
                    time.sleep(BUSY_LINGER)  # lets the loop queue more: one commit then serves them all
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
                busy = len(batch) > 1
                self._commit(connection, batch)
        finally:
            connection.close()

    def _commit(self, connection: sqlite3.Connection, batch: list[tuple[Operation, concurrent.futures.Future]]) -> None:
        try:
            connection.execute("BEGIN IMMEDIATE")
            results = _run_batch(connection, [operation for operation, _ in batch])
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
            _resolve_all([(batch[0][1], None, StoreWriteError(f"could not store: {exc}"))])
            return
        self.commits += 1
        _resolve_all([(future, result, None) for (_, future), result in zip(batch, results, strict=True)])


def _run_batch(connection: sqlite3.Connection, operations: list[Operation]) -> list[Any]:
    """Run the operations in order; runs of RowInserts with the same SQL share one executemany."""
    results: list[Any] = []
    index = 0
    while index < len(operations):
        operation = operations[index]
        if not isinstance(operation, RowInsert):
            results.append(operation(connection))
            index += 1
            continue
        end = index
        while end < len(operations) and isinstance(operations[end], RowInsert) and operations[end].sql == operation.sql:
            end += 1
        if end - index == 1:
            results.append(operation(connection))
        else:
            connection.executemany(operation.sql, [op.row for op in operations[index:end]])
            last = connection.execute("SELECT last_insert_rowid()").fetchone()[0]
            results.extend(range(last - (end - index) + 1, last + 1))
        index = end
    return results


class _LoopFuture:
    """An asyncio future to resolve from the writer thread, with the loop it belongs to."""

    __slots__ = ("loop", "future")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future) -> None:
        self.loop, self.future = loop, future


def _resolve_all(outcomes: list[tuple[Any, Any, BaseException | None]]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any, BaseException | None]]] = {}
    for target, result, exception in outcomes:
        if isinstance(target, _LoopFuture):
            by_loop.setdefault(target.loop, []).append((target.future, result, exception))
        else:
            _settle(target, result, exception)
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_many, items)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            pass


def _settle_many(items: list[tuple[Any, Any, BaseException | None]]) -> None:
    for future, result, exception in items:
        _settle(future, result, exception)


def _settle(future: Any, result: Any, exception: BaseException | None) -> None:
    if future.done():  # the caller gave up waiting; the write itself stands
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
