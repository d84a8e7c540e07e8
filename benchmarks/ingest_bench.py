"""Ingest throughput of `hooktui listen` (signature verification on, durable capture) against a bare Starlette/Uvicorn
app that only answers 200, measured alternately in the same run with the same load generator.

    python benchmarks/ingest_bench.py [--seconds 5] [--rounds 2] [--connections 32]

Prints requests/s of each, the ratio (target >= 0.8), p50/p99 latency, and a loss check: every 200 answered by
hooktui must be a committed row. Nothing asserts; the figures are for the README and the closing notes.
The load generator is a small keep-alive HTTP/1.1 client on raw asyncio streams, so that it costs less CPU than
the servers it measures (both share this machine's cores).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import Store

SECRET = "bench_secret"
BODY = (b'{"type":"task.ai_generated","event":"content_ready","channel_id":"ch_bench","ai_response":{"data":'
        b'{"title":"A benchmark","body":"' + b"x" * 300 + b'","category":"news"}},"callback_url":'
        b'"http://127.0.0.1:1/cb","callback_required":true,"meta":{"provider":"openai","model":"gpt-4o"}}')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request_bytes(port: int) -> bytes:
    headers = "".join(f"{name}: {value}\r\n" for name, value in sign_body(BODY, scheme="modelriver", secret=SECRET))
    return (f"POST /webhooks/modelriver HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(BODY)}\r\n{headers}\r\n").encode() + BODY


async def connection(port: int, payload: bytes, deadline: float, latencies: list[float], statuses: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def drive(port: int, seconds: float, connections: int) -> tuple[float, list[float], dict]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    payload = request_bytes(port)
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(connection(port, payload, deadline, latencies, statuses) for _ in range(connections)))
    return len(latencies) / (time.perf_counter() - start), latencies, statuses


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def start_bare(port: int) -> subprocess.Popen:
    here = Path(__file__).resolve().parent
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level",
                             "warning", "--no-access-log", "--loop", "uvloop", "--http", "httptools"],
                            cwd=here, stdout=subprocess.DEVNULL)


def start_hooktui(port: int, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hookdeck_tui", "listen", "--port", str(port), "--db", str(db),
                             "--scheme", "modelriver", "--secret", SECRET, "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, list[float], dict]]] = {"bare": [], "hooktui": []}
    acknowledged = 0
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        for round_ in range(args.rounds):
            for name in ("bare", "hooktui"):
                port = free_port()
                process = start_bare(port) if name == "bare" else start_hooktui(port, db)
                try:
                    wait_listening(port, process)
                    result = asyncio.run(drive(port, args.seconds, args.connections))
                finally:
                    stop(process)
                results[name].append(result)
                if name == "hooktui":
                    acknowledged += result[2].get(200, 0)
                print(f"round {round_ + 1} {name:>8}: {result[0]:8,.0f} req/s  statuses {result[2]}", flush=True)
        with Store(db) as store:
            committed = store.count()
            checked = store.page(limit=1, include_body=True)[0]
    print()
    bare = statistics.median(r[0] for r in results["bare"])
    ours = statistics.median(r[0] for r in results["hooktui"])
    for name, rate in (("bare starlette/uvicorn", bare), ("hooktui listen", ours)):
        latencies = [value for r in results["bare" if name.startswith("bare") else "hooktui"] for value in r[1]]
        print(f"{name:>22}: {rate:8,.0f} req/s   p50 {percentile(latencies, 0.5):6.2f} ms   "
              f"p99 {percentile(latencies, 0.99):6.2f} ms")
    print(f"{'ratio':>22}: {ours / bare:.2f}  (target >= 0.80; verification on: "
          f"{checked.signature.scheme} {checked.signature.status})")
    print(f"{'loss check':>22}: {acknowledged:,} answered 200, {committed:,} committed rows -> "
          f"{'no loss' if committed >= acknowledged else f'LOST {acknowledged - committed}'}")
    print(f"(cpu cores: {os.cpu_count()}, {args.connections} connections, {args.seconds:g} s x {args.rounds} rounds)")


if __name__ == "__main__":
    main()
