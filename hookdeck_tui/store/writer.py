"""The single writer: one connection commits whatever was queued together as one transaction (group commit).

Why this shape: SQLite allows one writer at a time, and a commit is the expensive part. Requests that arrive in the
same turn of the event loop share one commit, made on the loop thread at the end of that turn; each caller's future
resolves only after the transaction holding its row has committed, so "acknowledged" always means "on disk" (WAL;
survives a killed process). Committing on the loop thread rather than in a writer thread matters for speed: a
writer thread and the loop take the GIL from each other at every row (sqlite3 releases it around each step), and
that hand-over cost more than the writing itself (in-process 131 -> 92 us per request). What would stall the loop
is the checkpoint (copying the WAL into the database, with fsync), so a checkpointer thread of its own does that.
Writers on other threads (an import) commit directly, under the same lock.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

Operation = Callable[[sqlite3.Connection], Any]
Connect = Callable[..., sqlite3.Connection]
MAX_BATCH = 512
CHECKPOINT_EVERY = 1000  # WAL pages written before the checkpointer copies them into the database (SQLite's default)


class RowInsert:
    """An INSERT the writer may run together with its neighbours in one `executemany`; the result is the new
    row's id. (Within one transaction SQLite gives rows without an explicit id consecutive rowids, and this
    connection is the only writer, so a batch's ids are the last one counted back.)"""

    __slots__ = ("sql", "row")

    def __init__(self, sql: str, row: tuple) -> None:
        self.sql, self.row = sql, row

    def __call__(self, connection: sqlite3.Connection) -> int:
        return connection.execute(self.sql, self.row).lastrowid


class StoreWriteError(Exception):
    """A write could not be committed (disk full, read-only file, ...); nothing was acknowledged."""


class GroupCommitWriter:
    def __init__(self, connect: Connect) -> None:
        self._connection: sqlite3.Connection | None = connect(check_same_thread=False)
        self._connection.execute("PRAGMA wal_autocheckpoint = 0")  # never on the loop thread: see Checkpointer
        self._lock = threading.Lock()
        self._pending: dict[asyncio.AbstractEventLoop, list[tuple[Operation, asyncio.Future]]] = {}
        self._checkpointer = Checkpointer(connect, self._lock)
        self._closed = False
        self.commits = 0  # how many transactions were committed (benchmarks and tests read it)

    def submit(self, operation: Operation) -> concurrent.futures.Future:
        """Commit `operation` now, from any thread; the returned future is already resolved."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._commit_now([(operation, future)])
        return future

    def submit_many(self, operations: list[Operation]) -> list[concurrent.futures.Future]:
        """Commit many operations from any thread, MAX_BATCH per transaction (an import)."""
        futures = [concurrent.futures.Future() for _ in operations]
        pairs = list(zip(operations, futures, strict=True))
        for start in range(0, len(pairs), MAX_BATCH):
            self._commit_now(pairs[start:start + MAX_BATCH])
        return futures

    def submit_async(self, operation: Operation) -> asyncio.Future:
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

    def close(self) -> None:
        """Commit what is still queued (its callers' loops may be gone; the rows still count), then stop."""
        if self._closed:
            return
        self._closed = True
        for loop in list(self._pending):
            batch = self._pending.pop(loop)
            for start in range(0, len(batch), MAX_BATCH):
                self._commit_now([(operation, None) for operation, _ in batch[start:start + MAX_BATCH]])
        self._checkpointer.close()
        with self._lock:
            self._connection.close()
            self._connection = None

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._pending.pop(loop, [])
        for start in range(0, len(batch), MAX_BATCH):
            self._commit_now(batch[start:start + MAX_BATCH])

    def _commit_now(self, batch: list[tuple[Operation, Any]]) -> None:
        with self._lock:
            if self._connection is None:
                outcomes = [(future, None, StoreWriteError("the store is closed")) for _, future in batch]
            else:
                outcomes = self._commit(batch)
        _resolve_all(outcomes)

    def _commit(self, batch: list[tuple[Operation, Any]]) -> list[tuple[Any, Any, BaseException | None]]:
        connection = self._connection
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
            if len(batch) > 1:  # isolate: one bad write must not fail the others
                return [outcome for one in batch for outcome in self._commit([one])]
            return [(batch[0][1], None, StoreWriteError(f"could not store: {exc}"))]
        self.commits += 1
        self._checkpointer.wrote(connection.total_changes)
        return [(future, result, None) for (_, future), result in zip(batch, results, strict=True)]


class Checkpointer:
    """Copies the WAL into the database from a thread of its own (sqlite3 releases the GIL for the whole
    checkpoint), so the bulk of that work and its fsyncs never stall the event loop that commits.

    Two passes: the bulk while commits go on, then — holding the writer's lock, so no commit comes in between —
    the few frames written meanwhile. Only a WAL copied to its end is started over by the next commit; without
    the second pass a sustained burst grew it without bound (250 MB after 12 s at 7,000 req/s)."""

    def __init__(self, connect: Connect, writer_lock: threading.Lock) -> None:
        self._connect = connect
        self._writer_lock = writer_lock
        self._due = threading.Event()
        self._stopping = False
        self._changes_at_last = 0
        self._thread: threading.Thread | None = None

    def wrote(self, total_changes: int) -> None:
        """Called after each commit with the writer's running count of changed rows."""
        if total_changes - self._changes_at_last >= CHECKPOINT_EVERY:
            self._changes_at_last = total_changes
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hooktui-checkpointer", daemon=True)
                self._thread.start()
            self._due.set()

    def close(self) -> None:
        if self._thread is not None:
            self._stopping = True
            self._due.set()
            self._thread.join()

    def _run(self) -> None:
        connection = self._connect(check_same_thread=False)
        try:
            while True:
                self._due.wait()
                self._due.clear()
                if self._stopping:
                    return
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    with self._writer_lock:
                        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    pass  # e.g. the disk is full: the WAL keeps the data; the next checkpoint tries again
        finally:
            connection.close()


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


def _resolve_all(outcomes: list[tuple[Any, Any, BaseException | None]]) -> None:
    """Settle each future: a concurrent one directly, an asyncio one on its own loop (directly when that is this
    thread's running loop, the usual case)."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    for future, result, exception in outcomes:
        if future is None:
            continue
        if isinstance(future, asyncio.Future) and future.get_loop() is not running:
            try:
                future.get_loop().call_soon_threadsafe(_settle, future, result, exception)
            except RuntimeError:  # that loop has closed: nobody is waiting any more
                pass
        else:
            _settle(future, result, exception)


def _settle(future: Any, result: Any, exception: BaseException | None) -> None:
    if future.done():  # the caller gave up waiting; the write itself stands
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
