"""What jumping around a big history costs the listeners: the real console (HooktuiApp over a real Console and
listener, on Textual's headless driver at 160x80) with a 1,000,000-event store written by SQLite itself, and a
steady small load — 4 keep-alive clients, each sending a signed request every 10 ms.

    python benchmarks/home_end_bench.py [--seconds 10] [--history 1000000]

Prints the listener's p99 with the console idle, then while the console jumps Home / End and applies and clears a
filter (`verdict:invalid`) in a loop, one step every 100 ms, and the ratio of the two (target: within 2x). The
list's reads must not run on the loop the listeners share; a jump that reads there stalls every request in flight.
Nothing asserts; the figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from diagnosis_bench import steady  # noqa: E402
from ingest_bench import SECRET, free_port, percentile, request_bytes, wait_listening  # noqa: E402

from tests.test_tui import write_history  # noqa: E402

STEP = 0.1  # seconds between two of the console's jumps
STEPS = ("home", "end", "filter verdict:invalid", "home", "end", "filter ")


# --- the console (run as a child process: `--console`) -------------------------------------------------------
def run_console(port: int, control: int, db: Path) -> None:
    from hookdeck_tui.config import parse_config
    from hookdeck_tui.console import Console, VerifyDefaults
    from hookdeck_tui.store import Store
    from hookdeck_tui.tui.app import HooktuiApp
    from hookdeck_tui.tui.launch import run_app

    class JumpingApp(HooktuiApp):
        """The console, with a control port: `jump` starts the loop of jumps, `idle` stops it."""

        jumping = False

        async def on_mount(self) -> None:  # HooktuiApp.on_mount runs too (handlers run along the MRO)
            self._control = await asyncio.start_server(self._command, "127.0.0.1", control)
            self._jumps = asyncio.create_task(self._jump_loop())

        async def _command(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            word = (await reader.readline()).decode().strip()
            if word in ("jump", "idle"):
                self.jumping = word == "jump"
            writer.write(json.dumps({"steps": self._steps}).encode() + b"\n")
            await writer.drain()
            writer.close()

        _steps = 0

        async def _jump_loop(self) -> None:
            from textual.widgets import Input

            while True:
                await asyncio.sleep(STEP)
                if not self.jumping:
                    continue
                step = STEPS[self._steps % len(STEPS)]
                self._steps += 1
                if step.startswith("filter"):  # typed into the filter field and submitted, as a user would
                    field = self.query_one("#filter", Input)
                    field.value = step.removeprefix("filter ")
                    await field.action_submit()
                else:
                    self.simulate_key(step)

    store = Store(db)
    engine = Console(parse_config(f"listener: {{type: capture, port: {port}}}\n", "bench.yaml"), store,
                     inspection_port=None, verify_defaults=VerifyDefaults("modelriver", [SECRET]), writer_process=True)
    run_app(JumpingApp(engine), headless=True, size=(160, 80))
    store.close()


# --- the driver --------------------------------------------------------------------------------------------
async def command(control: int, word: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", control)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
    writer.write(word.encode() + b"\n")
    await writer.drain()
    answer = json.loads(await reader.readline())
    writer.close()
    return answer


async def measure(port: int, control: int, seconds: float) -> tuple[list[float], list[float], int]:
    payload = request_bytes(port)
    await command(control, "idle")
    await asyncio.sleep(1.0)  # warm: the first requests pay for imports and the store's first write
    idle: list[float] = []
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(steady(port, payload, deadline, idle, 0.01) for _ in range(4)))
    await command(control, "jump")
    jumping: list[float] = []
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(steady(port, payload, deadline, jumping, 0.01) for _ in range(4)))
    steps = (await command(control, "idle"))["steps"]
    return idle, jumping, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--console", nargs=3, metavar=("PORT", "CONTROL", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.console:
        run_console(int(args.console[0]), int(args.console[1]), Path(args.console[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "history.db"
        built = time.perf_counter()
        write_history(db, args.history)
        print(f"(a {args.history:,}-event store written in {time.perf_counter() - built:.1f} s)", flush=True)
        port, control = free_port(), free_port()
        process = subprocess.Popen([sys.executable, __file__, "--console", str(port), str(control), str(db)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_listening(port, process, timeout=60)
            idle, jumping, steps = asyncio.run(measure(port, control, args.seconds))
        finally:
            process.terminate()
            process.wait(timeout=30)
    idle_p99, jumping_p99 = percentile(idle, 0.99), percentile(jumping, 0.99)
    print(f"idle console:    p50 {statistics.median(idle) * 1000:6.1f} ms  p99 {idle_p99:6.1f} ms  "
          f"({len(idle)} requests)")
    print(f"jumping console: p50 {statistics.median(jumping) * 1000:6.1f} ms  p99 {jumping_p99:6.1f} ms  "
          f"max {max(jumping) * 1000:.0f} ms  ({len(jumping)} requests, {steps} jumps)")
    print(f"p99 jumping / idle: {jumping_p99 / idle_p99:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
