"""Start-up time of the short commands: what a user waits for `hooktui sign|verify|events|show` to answer.

    python benchmarks/startup_bench.py [--runs 15] [--hooktui PATH]

Runs each command `--runs` times as a fresh process (the `hooktui` script beside this Python, or `--hooktui`)
against a temporary store holding one event, and prints the median wall time of each next to a bare
`python -c pass` measured in the same run, and the difference (the part hooktui adds; target ≤ 0.15 s).
Nothing here asserts; tests/test_startup.py checks the import graph instead of the clock.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hookdeck_tui.store import CapturedEvent, Store


def wall_times(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--hooktui", help="the hooktui to time (default: the one beside this Python)")
    args = parser.parse_args()
    hooktui = args.hooktui or shutil.which("hooktui", path=str(Path(sys.executable).parent)) or "hooktui"
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp, "body.json")
        body.write_bytes(b'{"type": "task.ai_generated", "channel_id": "ch_1"}')
        db = Path(tmp, "startup.db")
        with Store(db) as store:
            store.append_sync(CapturedEvent("POST", "/webhooks/modelriver", [("Content-Type", "application/json")],
                                            body.read_bytes()))
        env = {**os.environ, "HOOKTUI_DB": str(db), "HOOKTUI_SECRET": "whsec_startup"}
        commands = {
            "sign": ["sign", "--scheme", "modelriver", str(body)],
            "verify": ["verify", "-H", "mr-signature: 00", str(body)],
            "events --limit 1": ["events", "--limit", "1"],
            "show 1": ["show", "1"],
        }
        bare = statistics.median(wall_times([sys.executable, "-c", "pass"], args.runs, env))
        print(f"{hooktui}, median of {args.runs} runs; bare `python -c pass`: {bare * 1000:.0f} ms")
        print(f"{'command':<20} {'wall':>8} {'above bare':>11}")
        for name, argv in commands.items():
            median = statistics.median(wall_times([hooktui, *argv], args.runs, env))
            print(f"{name:<20} {median * 1000:>5.0f} ms {(median - bare) * 1000:>8.0f} ms")


if __name__ == "__main__":
    main()
