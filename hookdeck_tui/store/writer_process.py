"""The store's writer process: the console's writes committed by a child process, off the event loop's core.

Why a process: on CPython the listener's event loop is one core. Committing rows on it (binding each value,
SQLite's B-tree work, the commit) took a fifth of every request; a writer thread could not take that off the loop,
because it and the loop handed the GIL back and forth at every row. A child process has its own interpreter, so
the loop only pickles each turn's batch into a pipe and resolves the callers' futures when the child says the
transaction holding their rows committed — "acknowledged" still means "on disk".

The pipe carries frames: 4-byte big-endian length, then a pickle. Parent -> child: (seq, operations), where an
operation is a RowInsert or a module-level function (or functools.partial of one) taking the connection. Child ->
parent: (seq, outcomes, commits), an outcome being (result, error text or None). The child commits every frame it
has received by the time it looks (several turns of the loop in one transaction when it is behind) and stops at
the end of its input: the parent closing the pipe, or the parent dying.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import threading
from typing import Any

from hookdeck_tui.store.commit import MAX_BATCH, Connect, StoreWriteError, commit_batch, fail_all, resolve_all

_HEADER = 4
Pending = tuple[Any, asyncio.Future[Any]]  # a write and its caller's future
CHECKPOINT_EVERY = 1000  # rows written before the checkpointer copies the WAL into the database (SQLite's default)


def _frame(value: Any) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return len(payload).to_bytes(_HEADER, "big") + payload


def _take_frames(buffer: bytearray) -> list[Any]:
    """Remove and decode the complete frames at the start of `buffer`."""
    frames = []
    start = 0
    while len(buffer) - start >= _HEADER:
        size = int.from_bytes(buffer[start:start + _HEADER], "big")
        end = start + _HEADER + size
        if end > len(buffer):
            break
        frames.append(pickle.loads(buffer[start + _HEADER:end]))
        start = end
    del buffer[:start]
    return frames


class WriterProcess:
    """The parent's end, on one event loop: sends batches, resolves their futures as acknowledgements arrive."""

    def __init__(self, path: str, synchronous: str, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.commits = 0
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from hookdeck_tui.store.writer_process import main; main()", path, synchronous],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True,
            start_new_session=True)  # Ctrl+C in the terminal is for the console, which then closes the pipe
        assert self._process.stdin is not None and self._process.stdout is not None  # both are pipes
        self._stdin, self._stdout = self._process.stdin, self._process.stdout
        self._to_child = self._stdin.fileno()
        self._from_child = self._stdout.fileno()
        os.set_blocking(self._to_child, False)
        os.set_blocking(self._from_child, False)
        self._unsent = bytearray()
        self._received = bytearray()
        self._waiting: dict[int, list[asyncio.Future[Any]]] = {}
        self._seq = 0
        self.alive = True
        try:
            loop.add_reader(self._from_child, self._readable)
        except BaseException:
            self._process.kill()
            self._process.wait()
            raise

    def send(self, batch: list[Pending]) -> None:
        self._seq += 1
        try:
            data = _frame((self._seq, [operation for operation, _ in batch]))
        except Exception:
            data, batch = self._frame_each(batch)
            if not batch:
                return
        self._waiting[self._seq] = [future for _, future in batch]
        if self._unsent:
            self._unsent += data
            return
        self._write(data)

    def _frame_each(self, batch: list[Pending]) -> tuple[bytes, list[Pending]]:
        """The frame of the writes that can be pickled; the others fail, each with its reason."""
        kept = []
        for operation, future in batch:
            try:
                pickle.dumps(operation, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                fail_all([future], f"cannot hand this write to the writer process: {exc!r}")
            else:
                kept.append((operation, future))
        return (_frame((self._seq, [operation for operation, _ in kept])) if kept else b""), kept

    def _write(self, data: bytes | bytearray) -> None:
        try:
            written = os.write(self._to_child, data)
        except BlockingIOError:
            written = 0
        except OSError as exc:
            self._stopped(f"the store's writer process is gone ({exc.strerror or exc})")
            return
        except Exception as exc:
            self._broken(f"could not hand writes to the store's writer process ({exc!r})")
            return
        if written < len(data):  # the pipe is full: the rest goes when it drains (nothing else is pending here)
            self._unsent = bytearray(data[written:])
            self.loop.add_writer(self._to_child, self._writable)

    def _writable(self) -> None:
        data, self._unsent = self._unsent, bytearray()
        self.loop.remove_writer(self._to_child)
        self._write(data)

    def _readable(self) -> None:
        try:
            chunk = os.read(self._from_child, 1 << 20)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            code = self._process.poll()
            self._stopped("the store's writer process stopped" + (f" (exit code {code})" if code else ""))
            return
        self._received += chunk
        try:
            self._acknowledge()
        except Exception as exc:
            self._broken(f"could not read the store's writer process's answer ({exc!r})")

    def _acknowledge(self) -> None:
        for seq, outcomes, commits in _take_frames(self._received):
            self.commits += commits
            futures = self._waiting.pop(seq, None)
            if futures is None:  # already failed (the store closed meanwhile)
                continue
            resolve_all([(future, result, None if error is None else StoreWriteError(error))
                          for future, (result, error) in zip(futures, outcomes, strict=True)])

    def _broken(self, reason: str) -> None:
        """The pipe can no longer be trusted: stop this writer process (the next write starts a new one) and
        fail every write it has not acknowledged — rows it committed meanwhile stay, unacknowledged."""
        if self.alive:
            self._process.kill()
        self._received.clear()
        self._stopped(reason)

    def _stopped(self, reason: str) -> None:
        if not self.alive:
            return
        self.alive = False
        self._detach()
        self._stopped_waiting(reason)

    def _stopped_waiting(self, reason: str) -> None:
        for futures in self._waiting.values():
            for future in futures:
                if not future.done():
                    future.set_exception(StoreWriteError(reason))
        self._waiting.clear()

    def _detach(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.remove_reader(self._from_child)
        if self._unsent:
            self.loop.remove_writer(self._to_child)

    def close(self, timeout: float = 30) -> None:
        """Close the pipe: the child commits what it has received, then exits; its last acknowledgements are
        read here, and whatever it never acknowledged fails."""
        waiting = self.alive
        if self.alive:
            self.alive = False
            self._detach()
            if self._unsent:  # the loop is done with it: hand over the rest, blocking
                os.set_blocking(self._to_child, True)
                try:
                    os.write(self._to_child, self._unsent)
                except OSError:
                    pass
        try:
            self._stdin.close()
        except OSError:
            pass
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if waiting and self._waiting:
            os.set_blocking(self._from_child, True)
            try:
                while chunk := os.read(self._from_child, 1 << 20):
                    self._received += chunk
                self._acknowledge()
            except (OSError, RuntimeError):  # RuntimeError: the callers' loop has closed
                pass
        self._stdout.close()
        try:
            self._stopped_waiting("the store was closed before this write was committed")
        except RuntimeError:
            pass


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


def main() -> None:
    """The child: commit what arrives on stdin, acknowledge on stdout, until stdin ends."""
    path, synchronous = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # stop at the end of the input, never half-way
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute("PRAGMA wal_autocheckpoint = 0")

    def connect(check_same_thread: bool = True) -> sqlite3.Connection:
        other = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=check_same_thread)
        other.execute("PRAGMA journal_mode=WAL")
        return other

    lock = threading.Lock()
    checkpointer = Checkpointer(connect, lock)
    source, sink = sys.stdin.fileno(), sys.stdout.fileno()
    received = bytearray()
    try:
        while True:
            chunk = os.read(source, 1 << 20)
            if not chunk:
                break
            received += chunk
            frames = _take_frames(received)
            while frames:
                batch, frames = _up_to(frames, MAX_BATCH)
                operations = [operation for _, ops in batch for operation in ops]
                with lock:
                    outcomes, commits = commit_batch(connection, operations)
                checkpointer.wrote(connection.total_changes)
                replies = bytearray()
                start = 0
                for n, (seq, ops) in enumerate(batch):
                    mine = [(result, None if error is None else str(error))
                            for result, error in outcomes[start:start + len(ops)]]
                    start += len(ops)
                    counted = commits if n == 0 else 0
                    try:
                        replies += _frame((seq, mine, counted))
                    except Exception as exc:
                        replies += _frame((seq, [(None, f"the write's result could not be sent back: {exc!r}")]
                                           * len(ops), counted))
                _write_all(sink, replies)
    finally:
        checkpointer.close()
        connection.close()


def _up_to(frames: list[Any], limit: int) -> tuple[list[Any], list[Any]]:
    """The first frames holding at most `limit` operations (always at least one frame), and the rest."""
    total = 0
    for index, (_, operations) in enumerate(frames):
        total += len(operations)
        if total > limit and index > 0:
            return frames[:index], frames[index:]
    return frames, []


def _write_all(fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
