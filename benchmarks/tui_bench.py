"""The console under load: the real hooktui app (headless Textual driver) with a real listener, against a bare
Starlette/Uvicorn app measured in the same run with the same load generator (the one of ingest_bench.py).

    python benchmarks/tui_bench.py [--seconds 5] [--rounds 2] [--connections 32] [--history 1000000]

Prints:
  (a) ingest throughput with the TUI running, as a ratio to the bare app (target >= 0.6);
  (b) key-to-screen latency while under that load: a key posted -> the refresh that shows it (target p99 < 150 ms);
  (c) receipt-to-row latency at a steady 200 req/s: the event's receipt -> its row first rendered (p99 < 150 ms);
  (d) time to first paint and RSS with a store of --history events (targets < 1 s, < 200 MB).
Nothing asserts; the figures go to benchmarks/README.md and the closing notes.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from ingest_bench import (  # noqa: E402
    SECRET,
    drive,
    free_port,
    percentile,
    request_bytes,
    start_bare,
    start_hooktui,
    stop,
    wait_listening,
)

from tests.test_tui import write_history  # noqa: E402


def start_console(port: int, control: int, db: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(HERE / "tui_console.py"), "--port", str(port), "--control",
                             str(control), "--db", str(db), "--secret", SECRET, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


async def command(control: int, text: str) -> object:
    reader, writer = await asyncio.open_connection("127.0.0.1", control)
    writer.write(text.encode() + b"\n")
    await writer.drain()
    answer = json.loads(await reader.readline())
    writer.close()
    return answer


async def wait_control(control: int, timeout: float = 30) -> None:
    """Until the console has drawn its first frame: the figures are of a console that is up (its start-up is (d))."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if await command(control, "ping") == "ready":
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the console did not start")
        await asyncio.sleep(0.05)


async def under_load(port: int, control: int, seconds: float, connections: int) -> tuple:
    """Drive the load and, meanwhile, press keys: (rate, latencies, statuses), key latencies."""
    load = asyncio.create_task(drive(port, seconds, connections))
    await asyncio.sleep(min(1.0, seconds / 4))
    keys = await command(control, f"keys {max(10, int(seconds * 4))} 0.15")
    return await load, keys


async def paced(port: int, control: int, rate: float, seconds: float) -> tuple[list[float], int]:
    """A steady `rate` of requests over 4 keep-alive connections; then the receipt-to-row latencies."""
    before = await command(control, "last")
    payload = request_bytes(port)
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(4)]
    interval = 1 / rate
    start = time.perf_counter()

    async def one(index: int) -> None:
        reader, writer = streams[index % 4]
        writer.write(payload)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await reader.readexactly(length)

    sent = 0
    locks = [asyncio.Lock() for _ in range(4)]

    async def guarded(index: int) -> None:
        async with locks[index % 4]:
            await one(index)

    tasks = []
    while time.perf_counter() - start < seconds:
        tasks.append(asyncio.create_task(guarded(sent)))
        sent += 1
        await asyncio.sleep(max(0.0, start + sent * interval - time.perf_counter()))
    await asyncio.gather(*tasks)
    for _, writer in streams:
        writer.close()
    await asyncio.sleep(0.5)  # the last rows render
    return await command(control, f"rows {before}"), sent


def measure(start, args: argparse.Namespace) -> tuple[float, dict]:
    """The rate a server started by `start(port)` sustains under the load, and the statuses it answered."""
    port = free_port()
    process = start(port)
    try:
        wait_listening(port, process)
        rate, _, statuses = asyncio.run(drive(port, args.seconds, args.connections))
    finally:
        stop(process)
    return rate, statuses


def first_paint(db: Path) -> dict:
    started = time.time()
    process = start_console(free_port(), 0, db, "--exit-after-paint", str(started))
    out, _ = process.communicate(timeout=120)
    return json.loads(out.decode().strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--history", type=int, default=1_000_000)
    args = parser.parse_args()
    bare_rates, listen_rates, tui_rates, tui_latencies, keys = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            start_listen = functools.partial(start_hooktui, db=Path(tmp) / f"listen{round_}.db")
            for name, start, rates in (("bare", start_bare, bare_rates), ("listen", start_listen, listen_rates)):
                rate, statuses = measure(start, args)
                rates.append(rate)
                print(f"round {round_ + 1} {name:>11}: {rate:8,.0f} req/s  statuses {statuses}", flush=True)
            port, control = free_port(), free_port()
            process = start_console(port, control, Path(tmp) / f"load{round_}.db")
            try:
                wait_listening(port, process)
                asyncio.run(wait_control(control))
                (rate, latencies, statuses), pressed = asyncio.run(
                    under_load(port, control, args.seconds, args.connections))
            finally:
                process.terminate()
                process.wait(timeout=30)
            tui_rates.append(rate)
            tui_latencies += latencies
            keys += pressed
            print(f"round {round_ + 1} hooktui+TUI: {rate:8,.0f} req/s  statuses {statuses}  "
                  f"keys p99 {percentile(pressed, 0.99):.0f} ms", flush=True)
        port, control = free_port(), free_port()
        process = start_console(port, control, Path(tmp) / "paced.db")
        try:
            wait_listening(port, process)
            asyncio.run(wait_control(control))
            rows, sent_rows = asyncio.run(paced(port, control, args.rate, args.seconds))
        finally:
            process.terminate()
            process.wait(timeout=30)
        history = Path(tmp) / "history.db"
        built = time.perf_counter()
        write_history(history, args.history)
        print(f"(a {args.history:,}-event store written in {time.perf_counter() - built:.1f} s)", flush=True)
        paints = [first_paint(history) for _ in range(3)]
    bare, ours = statistics.median(bare_rates), statistics.median(tui_rates)
    listen = statistics.median(listen_rates)
    print()
    print(f"(a) ingest with the TUI: {ours:8,.0f} req/s vs bare {bare:8,.0f} req/s -> ratio {ours / bare:.2f} "
          f"(target >= 0.60); hooktui p50 {percentile(tui_latencies, 0.5):.2f} ms, "
          f"p99 {percentile(tui_latencies, 0.99):.2f} ms")
    print(f"    the same engine without the TUI (hooktui listen): {listen:8,.0f} req/s -> ratio {listen / bare:.2f}")
    print(f"(b) key-to-screen under that load: p50 {percentile(keys, 0.5):.1f} ms, "
          f"p99 {percentile(keys, 0.99):.1f} ms, max {max(keys) * 1000:.1f} ms over {len(keys)} keys "
          f"(target p99 < 150 ms)")
    # a row never drawn (scrolled past while the console was busy) was not seen in time at all: counted as the
    # slowest, not left out, so a console that skips rows cannot look faster than one that draws them all
    seen = rows + [math.inf] * max(0, sent_rows - len(rows))
    print(f"(c) receipt-to-row at {args.rate:g} req/s: p50 {percentile(seen, 0.5):.1f} ms, "
          f"p99 {percentile(seen, 0.99):.1f} ms over the {sent_rows} rows sent, {len(rows)} of them drawn "
          f"(an undrawn row counts as the slowest; over the drawn rows only: p99 {percentile(rows, 0.99):.1f} ms) "
          f"(target p99 < 150 ms)")
    best = min(paints, key=lambda p: p["first_paint_s"])
    print(f"(d) {best['rows']:,} events: first paint {statistics.median(p['first_paint_s'] for p in paints):.2f} s "
          f"from process start ({statistics.median(p['from_app_start_s'] for p in paints):.2f} s of it after the "
          f"imports; median of 3; target < 1 s), RSS {best['rss_mb']:.0f} MB at paint, "
          f"{best['rss_after_paging_mb']:.0f} MB after paging back 1,000 rows (target < 200 MB)")
    print(f"(cpu cores: {os.cpu_count()}, {args.connections} connections, {args.seconds:g} s x {args.rounds} rounds)")


if __name__ == "__main__":
    main()
