"""Capture-store throughput and history paging.

    python benchmarks/store_bench.py [--events 6000] [--history 1000000] [--writer-process]

1. Commits/s of `Store.append` (group commit: each turn of the loop's appends in one transaction, committed in
   process, or by the writer process a console uses with --writer-process) with 1, 32 and 256 concurrent writers,
   against a naive baseline in the same run: the same number of threads each doing INSERT + COMMIT per event on
   its own connection, with the same pragmas (WAL, synchronous=NORMAL unless --synchronous FULL). Printed as
   events/s and the ratio.
2. With a store of `--history` events: time to open it, list the newest 50, page back 50, and count.
Nothing here asserts; it prints figures to compare between commits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

from hookdeck_tui.store import CapturedEvent, Store

BODY = json.dumps({"type": "task.ai_generated", "channel_id": "ch_123", "ai_response": {"data": {"title": "x" * 200}}})
HEADERS = [("Content-Type", "application/json"), ("mr-signature", "ab" * 32), ("User-Agent", "bench")]


def make_event(n: int) -> CapturedEvent:
    return CapturedEvent("POST", f"/webhooks/{n % 10}", HEADERS, BODY.encode(), remote_addr="127.0.0.1")


async def group_commit(path: Path, writers: int, events: int, synchronous: str,
                       writer_process: bool) -> tuple[float, int]:
    store = Store(path, synchronous=synchronous)
    if writer_process:
        store.start_writer_process()
        await store.append(make_event(-1))  # started and answering before the clock starts
    per_writer = events // writers

    async def writer(w: int) -> None:
        for i in range(per_writer):
            await store.append(make_event(w * per_writer + i))

    start = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    elapsed = time.perf_counter() - start
    commits = store.commits
    store.close()
    return per_writer * writers / elapsed, commits


def naive(path: Path, writers: int, events: int, synchronous: str) -> float:
    Store(path).close()  # same schema
    per_writer = events // writers

    def writer(w: int) -> None:
        connection = sqlite3.connect(path, timeout=60, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={synchronous}")
        for i in range(per_writer):
            e = make_event(w * per_writer + i)
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "INSERT INTO events (received_at, method, path, headers, body, body_size, remote_addr) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (e.received_at, e.method, e.path, json.dumps(e.headers), e.body, len(e.body), e.remote_addr))
            connection.execute("COMMIT")
        connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per_writer * writers / (time.perf_counter() - start)


def build_history(path: Path, count: int) -> None:
    Store(path).close()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    headers = json.dumps(HEADERS)
    now = time.time() - count
    connection.execute("BEGIN")
    batch = []
    for n in range(count):
        batch.append((now + n, "POST", f"/webhooks/{n % 10}", headers, BODY.encode(), len(BODY), "127.0.0.1",
                      200, "modelriver", "valid" if n % 7 else "invalid"))
        if len(batch) == 10000:
            connection.executemany(
                "INSERT INTO events (received_at, method, path, headers, body, body_size, remote_addr, "
                "response_status, sig_scheme, sig_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    if batch:
        connection.executemany(
            "INSERT INTO events (received_at, method, path, headers, body, body_size, remote_addr, "
            "response_status, sig_scheme, sig_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def timed(fn, repeat: int = 5) -> float:
    """Median milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--synchronous", choices=("NORMAL", "FULL"), default="NORMAL",
                        help="SQLite synchronous mode for both sides (hooktui uses NORMAL)")
    parser.add_argument("--writer-process", action="store_true", help="commit in the writer process, as a console")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        print(f"store append throughput, {args.events} events of {len(BODY)} bytes, "
              f"synchronous={args.synchronous} (events/s)")
        print(f"{'writers':>8} {'group commit':>14} {'commits':>8} {'naive':>10} {'ratio':>7}")
        for writers in (1, 32, 256):
            ours, commits = asyncio.run(group_commit(tmp_path / f"g{writers}.db", writers, args.events,
                                                     args.synchronous, args.writer_process))
            theirs = naive(tmp_path / f"n{writers}.db", writers, args.events, args.synchronous)
            print(f"{writers:>8} {ours:>14,.0f} {commits:>8} {theirs:>10,.0f} {ours / theirs:>6.1f}x")

        path = tmp_path / "history.db"
        start = time.perf_counter()
        build_history(path, args.history)
        print(f"\nhistory of {args.history:,} events built in {time.perf_counter() - start:.1f} s "
              f"({path.stat().st_size / 1e6:,.0f} MB)")
        start = time.perf_counter()
        store = Store(path)
        first = store.page(limit=50)
        print(f"open + newest 50:        {(time.perf_counter() - start) * 1000:8.2f} ms (cold)")
        print(f"newest 50:               {timed(lambda: store.page(limit=50)):8.2f} ms (median of 5)")
        print(f"page back 50:            {timed(lambda: store.page(before=first[-1].id, limit=50)):8.2f} ms")
        print(f"newest 50 invalid:       {timed(lambda: store.page(limit=50, filters=_invalid())):8.2f} ms")
        print(f"count all:               {timed(store.count):8.2f} ms")
        store.close()


def _invalid():
    from hookdeck_tui.store import EventFilter

    return EventFilter(verdict="invalid")


if __name__ == "__main__":
    main()
