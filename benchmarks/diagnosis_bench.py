"""What an invalid signature costs the listener. Two figures:

1. Ingest of a flood of requests whose signature is invalid (a 1.3 KB JSON body, a forged `mr-signature`) against
   the bare Starlette/Uvicorn app, beside the same flood validly signed. An invalid signature should cost no more
   than a valid one: anyone who can reach the listener can send one.
2. The p99 latency of steady small valid requests beside one forged 5 MB body a second, over their p99 beside one
   validly signed 5 MB body a second (1.0: a forged big body disturbs the others no more than a genuine one).

    python benchmarks/diagnosis_bench.py [--quick] [--seconds 6] [--rounds 2] [--connections 32]

Nothing asserts; the figures are for the README and the closing notes. The load generator is ingest_bench's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_bench import (
    SECRET,
    connection,
    free_port,
    percentile,
    start_bare,
    start_hooktui,
    stop,
    wait_listening,
)

from hookdeck_tui.signatures import sign_body

SMALL = json.dumps({"type": "task.ai_generated", "event": "content_ready", "channel_id": "ch_bench",
                    "ai_response": {"data": {"title": "Un résumé — 2026", "body": "x" * 900, "tags": ["a", "b"],
                                             "score": 0.75, "count": 12}},
                    "callback_url": "http://127.0.0.1:1/cb", "meta": {"provider": "openai", "model": "gpt-4o"}},
                   ensure_ascii=False).encode()
BIG = json.dumps({"items": [{"id": i, "text": "lorem ipsum dolor sit amet " * 3, "value": i * 0.5}
                            for i in range(5 * 1024 * 1024 // 110)]}).encode()[:5 * 1024 * 1024 - 2] + b"]}"


def request_bytes(port: int, body: bytes, *, forged: bool) -> bytes:
    headers = sign_body(body, scheme="modelriver", secret=SECRET)
    if forged:
        headers = [(name, secrets.token_hex(32) if name == "mr-signature" else value) for name, value in headers]
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return (f"POST /webhooks/modelriver HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{lines}\r\n").encode() + body


async def flood(port: int, payload: bytes, seconds: float, connections: int) -> float:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(connection(port, payload, deadline, latencies, statuses) for _ in range(connections)))
    return len(latencies) / (time.perf_counter() - start)


async def one_exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> None:
    """Send one request on a keep-alive connection and read its whole answer."""
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)


async def steady(port: int, payload: bytes, deadline: float, latencies: list[float], pause: float) -> None:
    """One keep-alive client sending a small request every `pause` seconds (not a flood: latency, not rate)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            await one_exchange(reader, writer, payload)
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(pause)
    finally:
        writer.close()


async def big_once_a_second(port: int, payload: bytes, deadline: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await one_exchange(reader, writer, payload)
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))
    finally:
        writer.close()


async def beside_big(port: int, small: bytes, big: bytes, seconds: float) -> list[float]:
    latencies: list[float] = []
    await asyncio.sleep(0.5)  # warm: the first requests pay for imports and the store's first write
    deadline = time.perf_counter() + seconds
    await asyncio.gather(big_once_a_second(port, big, deadline),
                         *(steady(port, small, deadline, latencies, 0.01) for _ in range(4)))
    return latencies


def run_server(name: str, db: Path, work) -> object:
    port = free_port()
    process = start_bare(port) if name == "bare" else start_hooktui(port, db)
    try:
        wait_listening(port, process)
        return asyncio.run(work(port))
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter runs (3 s each, about 40 s in all)")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="flood rounds (the median is reported)")
    args = parser.parse_args()
    seconds = args.seconds or (3.0 if args.quick else 6.0)
    runs: dict[str, list[float]] = {"bare": [], "valid": [], "invalid": []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):  # alternated, so that a noisy neighbour weighs on all three alike
            for name in runs:
                db = Path(tmp) / f"{name}-{round_}.db"
                runs[name].append(run_server(name, db, lambda port, n=name: flood(
                    port, request_bytes(port, SMALL, forged=n == "invalid"), seconds, args.connections)))
                print(f"round {round_ + 1} flood {name:>8}: {runs[name][-1]:8,.0f} req/s", flush=True)
        rates = {name: statistics.median(values) for name, values in runs.items()}
        p99: dict[str, float] = {}
        for name in ("valid", "forged"):
            db = Path(tmp) / f"big-{name}.db"
            latencies = run_server("hooktui", db, lambda port, n=name: beside_big(
                port, request_bytes(port, SMALL, forged=False), request_bytes(port, BIG, forged=n == "forged"),
                seconds))
            p99[name] = percentile(latencies, 0.99)
            print(f"small requests beside a {name} 5 MB body/s: p50 {percentile(latencies, 0.5):6.2f} ms  "
                  f"p99 {p99[name]:6.2f} ms  ({len(latencies)} requests)", flush=True)
    print()
    print(f"figure 1: ingest vs bare, invalid signatures {rates['invalid'] / rates['bare']:.2f}, valid "
          f"{rates['valid'] / rates['bare']:.2f}  (target: invalid >= valid)")
    print(f"figure 2: p99 beside a forged 5 MB body/s over p99 beside a valid one: {p99['forged'] / p99['valid']:.2f}"
          f"  (target <= 1.5)")
    print(f"(cpu cores: {os.cpu_count()}, {args.connections} connections, {seconds:g} s a run)")


if __name__ == "__main__":
    main()
