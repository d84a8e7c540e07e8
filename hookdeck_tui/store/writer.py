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
from collections.abc import Callable
from typing import Any

Operation = Callable[[sqlite3.Connection], Any]
Connect = Callable[..., sqlite3.Connection]
MAX_BATCH = 512
CHECKPOINT_EVERY = 1000  # rows written before the checkpointer copies the WAL into the database (SQLite's default)


class RowInsert:
    """An INSERT the writer may run together with its neighbours in one `executemany`; the result is the new
    row's id. (Within one transaction SQLite gives rows without an explicit id consecutive rowids, and the
    transaction holds the only write lock, so a batch's ids are the last one counted back.)

    With `encode`, `values` are turned into the row only when it is written — by the writer process, when there
    is one: encoding a captured request's JSON columns cost the event loop ~7 us per request."""

    __slots__ = ("encode", "sql", "values")

    def __init__(self, sql: str, values: tuple, encode: Callable[..., tuple] | None = None) -> None:
        self.sql, self.values, self.encode = sql, values, encode

    @property
    def row(self) -> tuple:
        return self.values if self.encode is None else self.encode(*self.values)

    def __call__(self, connection: sqlite3.Connection) -> int:
        return connection.execute(self.sql, self.row).lastrowid

    def __reduce__(self) -> tuple:
        return RowInsert, (self.sql, self.values, self.encode)


class StoreWriteError(Exception):
    """A write could not be committed (disk full, read-only file, ...); nothing was acknowledged."""


def commit_batch(connection: sqlite3.Connection,
                 operations: list[Operation]) -> tuple[list[tuple[Any, BaseException | None]], int]:
    """Run the operations in one transaction: (each one's (result, error), how many transactions committed).
    When the transaction fails, each operation is retried alone, so one bad write does not fail the others."""
    try:
        connection.execute("BEGIN IMMEDIATE")
        results = _run_batch(connection, operations)
        connection.execute("COMMIT")
    except Exception as exc:
        if connection.in_transaction:
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        if len(operations) == 1:
            return [(None, StoreWriteError(f"could not store: {exc}"))], 0
        outcomes: list[tuple[Any, BaseException | None]] = []
        commits = 0
        for operation in operations:
            one, committed = commit_batch(connection, [operation])
            outcomes += one
            commits += committed
        return outcomes, commits
    return [(result, None) for result in results], 1


class GroupCommitWriter:
    def __init__(self, connect: Connect) -> None:
        self._connection: sqlite3.Connection | None = connect(check_same_thread=False)
        self._lock = threading.Lock()
        self._pending: dict[asyncio.AbstractEventLoop, list[tuple[Operation, asyncio.Future]]] = {}
        self._child: tuple[str, str] | None = None  # (database path, synchronous) once a writer process is wanted
        self._process = None  # the WriterProcess, bound to the first loop that writes
        self._closed = False
        self._commits_here = 0

    @property
    def commits(self) -> int:
        """How many transactions were committed (benchmarks and tests read it)."""
        return self._commits_here + (self._process.commits if self._process is not None else 0)

    def submit(self, operation: Operation) -> concurrent.futures.Future:
        """Commit `operation` now, from any thread; the returned future is already resolved."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._commit_now([(operation, future)])
        return future

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

    def _process_for(self, loop: asyncio.AbstractEventLoop):
        """The writer process for this loop: started for the console's loop (and again if it stopped); None for
        any other loop, or when there is none to be had."""
        if self._child is None or self._closed:
            return None
        process = self._process
        if process is not None and process.loop is loop and process.alive:
            return process
        if process is not None and process.loop is not loop and process.alive and not process.loop.is_closed():
            return None
        from hookdeck_tui.store.writer_process import WriterProcess
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
        with self._lock:
            if self._connection is None:
                outcomes = [(future, None, StoreWriteError("the store is closed")) for _, future in batch]
            else:
                try:
                    results, commits = commit_batch(self._connection, [operation for operation, _ in batch])
                except Exception as exc:
                    results, commits = [(None, StoreWriteError(f"could not store: {exc!r}"))] * len(batch), 0
                self._commits_here += commits
                outcomes = [(future, result, error) for (_, future), (result, error) in zip(batch, results,
                                                                                             strict=True)]
        resolve_all(outcomes)


class Checkpointer:
    """Copies the WAL into the database from a thread of its own (sqlite3 releases the GIL for the whole
    checkpoint), so the bulk of that work and its fsyncs do not hold up the commits (in the writer process).

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


def resolve_all(outcomes: list[tuple[Any, Any, BaseException | None]]) -> None:
    """Settle each future: a concurrent one directly, an asyncio one on its own loop (directly when that is this
    thread's running loop, the usual case)."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    for future, result, exception in outcomes:
        if future is None:
            continue
        try:
            if isinstance(future, asyncio.Future) and future.get_loop() is not running:
                try:
                    future.get_loop().call_soon_threadsafe(_settle, future, result, exception)
                except RuntimeError:  # that loop has closed: nobody is waiting any more
                    pass
            else:
                _settle(future, result, exception)
        except Exception as exc:
            fail_all([future], f"could not acknowledge the write: {exc!r}")


def fail_all(futures: list[Any], reason: str) -> None:
    """Fail each future not yet settled with StoreWriteError(reason) — the last resort of every write stage."""
    for future in futures:
        try:
            if future is not None and not future.done():
                future.set_exception(StoreWriteError(reason))
        except Exception:
            pass


def _settle(future: Any, result: Any, exception: BaseException | None) -> None:
    if future.done():  # the caller gave up waiting; the write itself stands
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
