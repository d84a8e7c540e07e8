"""What both ends of the store's writer share: a batch of writes committed as one transaction, and how each
caller's future is settled with its outcome. The writer (`writer.py`, in the caller's process) and the writer
process (`writer_process.py`, the child) both build on this module and never on each other's internals."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

Operation = Callable[[sqlite3.Connection], Any]
Connect = Callable[..., sqlite3.Connection]
AnyFuture = asyncio.Future[Any] | concurrent.futures.Future[Any]
Outcome = tuple[AnyFuture | None, Any, BaseException | None]  # (whose, the result, or the error)
MAX_BATCH = 512


class RowInsert:
    """An INSERT the writer may run together with its neighbours in one `executemany`; the result is the new
    row's id. (Within one transaction SQLite gives rows without an explicit id consecutive rowids, and the
    transaction holds the only write lock, so a batch's ids are the last one counted back.)

    With `encode`, `values` are turned into the row only when it is written — by the writer process, when there
    is one: encoding a captured request's JSON columns cost the event loop ~7 us per request."""

    __slots__ = ("encode", "sql", "values")

    def __init__(self, sql: str, values: tuple[Any, ...], encode: Callable[..., tuple[Any, ...]] | None = None) -> None:
        self.sql, self.values, self.encode = sql, values, encode

    @property
    def row(self) -> tuple[Any, ...]:
        return self.values if self.encode is None else self.encode(*self.values)

    def __call__(self, connection: sqlite3.Connection) -> int:
        return row_id(connection.execute(self.sql, self.row))

    def __reduce__(self) -> tuple[type[RowInsert], tuple[Any, ...]]:
        return RowInsert, (self.sql, self.values, self.encode)


class StoreWriteError(Exception):
    """A write could not be committed (disk full, read-only file, ...); nothing was acknowledged."""


def row_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just made (an INSERT always makes one, so never None)."""
    if cursor.lastrowid is None:
        raise StoreWriteError("the insert made no row")
    return cursor.lastrowid


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
        inserts = [operation]
        for following in operations[index + 1:]:
            if not isinstance(following, RowInsert) or following.sql != operation.sql:
                break
            inserts.append(following)
        if len(inserts) == 1:
            results.append(operation(connection))
        else:
            connection.executemany(operation.sql, [insert.row for insert in inserts])
            last: int = connection.execute("SELECT last_insert_rowid()").fetchone()[0]
            results.extend(range(last - len(inserts) + 1, last + 1))
        index += len(inserts)
    return results


def resolve_all(outcomes: Sequence[Outcome]) -> None:
    """Settle each future: a concurrent one directly, an asyncio one on its own loop (directly when that is this
    thread's running loop, the usual case)."""
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
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


def fail_all(futures: Sequence[AnyFuture | None], reason: str) -> None:
    """Fail each future not yet settled with StoreWriteError(reason) — the last resort of every write stage."""
    for future in futures:
        try:
            if future is not None and not future.done():
                future.set_exception(StoreWriteError(reason))
        except Exception:
            pass


def _settle(future: AnyFuture, result: Any, exception: BaseException | None) -> None:
    if future.done():  # the caller gave up waiting; the write itself stands
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
