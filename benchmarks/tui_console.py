"""The console under test for tui_bench.py: the real hooktui app (HooktuiApp over a real Console and listener)
on Textual's headless driver, with probes added from outside the product:

- every event list row records when it is first rendered (receipt-to-row = that time - the event's receipt time);
- `keys N` on the control port presses up/down N times and records, for each, the time from posting the key to
  the refresh that shows the moved cursor;
- `ping` answers "ready" once the first frame is drawn and the start-up's work after it (runtime.settle_after_start)
  is done (before: "starting"), so the load starts on a console that is up; its start-up is what
  `--exit-after-paint` measures;
- `--exit-after-paint` measures time to first paint (from the process start the driver passes) and RSS.

    python benchmarks/tui_console.py --port P --control C --db FILE [--secret S] [--exit-after-paint T0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console, VerifyDefaults
from hookdeck_tui.store import Store
from hookdeck_tui.tui.app import HooktuiApp
from hookdeck_tui.tui.launch import run_app
from hookdeck_tui.tui.widgets.event_list import EventList

first_rendered: dict[int, tuple[float, float]] = {}  # event id -> (rendered at, received at)
key_waits: list[asyncio.Future] = []
_render_line = EventList.render_line
_watch_cursor = EventList.watch_cursor


def render_line(self: EventList, y: int):
    strip = _render_line(self, y)
    position = self.position_at(y)  # the list's first line is its header
    event = self.window.row(position) if position is not None else None
    if event is not None and event.id not in first_rendered:
        first_rendered[event.id] = (time.time(), event.received_at)
    return strip


def watch_cursor(self: EventList, old: int, new: int) -> None:
    _watch_cursor(self, old, new)
    if key_waits:
        waiter = key_waits.pop(0)
        self.app.call_after_refresh(lambda: waiter.done() or waiter.set_result(time.perf_counter()))


EventList.render_line = render_line
EventList.watch_cursor = watch_cursor


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class BenchApp(HooktuiApp):
    def __init__(self, engine: Console, control: int, exit_after_paint: float | None) -> None:
        super().__init__(engine)
        self.control = control
        self.exit_after_paint = exit_after_paint
        self.painted = False  # the first frame is drawn and the process settled (runtime.settle_after_start)

    async def on_mount(self) -> None:  # Textual calls HooktuiApp.on_mount too (handlers run along the MRO)
        if self.exit_after_paint is not None:
            self.run_worker(self._first_paint())
        else:
            self._server = await asyncio.start_server(self._command, "127.0.0.1", self.control)
            self.call_after_refresh(lambda: setattr(self, "painted", True))  # after the app's own after-paint work

    async def _first_paint(self) -> None:
        while not first_rendered:
            await asyncio.sleep(0.001)
        paint_at = time.time()
        painted = paint_at - self.exit_after_paint
        events = self.query_one(EventList)
        opened_rss = rss_mb()
        for _ in range(50):  # page back through the history: memory must stay bounded
            events.action_move(-20)
            await asyncio.sleep(0)
        await asyncio.sleep(0.3)
        print(json.dumps({"first_paint_s": round(painted, 3), "from_app_start_s": round(time.time() - APP_START -
                                                                                       (time.time() - paint_at), 3),
                          "rss_mb": round(opened_rss, 1),
                          "rss_after_paging_mb": round(rss_mb(), 1), "rows": events.window.count}), flush=True)
        await self.action_quit()

    async def _command(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).decode().split()
        if line[0] == "keys":
            result = await self._press(int(line[1]), float(line[2]))
        elif line[0] == "rows":
            after = int(line[1])
            result = [rendered - received for event_id, (rendered, received) in first_rendered.items()
                      if event_id > after]
        elif line[0] == "last":
            result = self.engine.store.last_id()
        else:  # ping
            settled = self.settling is None or not self.settling.is_alive()  # the start-up's work after the paint
            result = "ready" if self.painted and settled else "starting"
        writer.write(json.dumps(result).encode() + b"\n")
        await writer.drain()
        writer.close()

    async def _press(self, count: int, interval: float) -> list[float]:
        """Press up/down alternately; each latency runs from posting the key to the refresh showing its effect."""
        latencies = []
        loop = asyncio.get_running_loop()
        for n in range(count):
            waiter = loop.create_future()
            key_waits.append(waiter)
            started = time.perf_counter()
            self.simulate_key("up" if n % 2 == 0 else "down")
            try:
                latencies.append(await asyncio.wait_for(waiter, 5) - started)
            except TimeoutError:
                if waiter in key_waits:
                    key_waits.remove(waiter)
                latencies.append(5.0)
            await asyncio.sleep(interval)
        return latencies


APP_START = time.time()  # reset in main(): after the interpreter started and the modules were imported


def main() -> None:
    global APP_START
    APP_START = time.time()
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control", type=int, default=0)
    parser.add_argument("--db", required=True)
    parser.add_argument("--secret", default="bench_secret")
    parser.add_argument("--exit-after-paint", type=float, metavar="T0")
    args = parser.parse_args()
    store = Store(args.db)
    engine = Console(parse_config(f"listener: {{type: capture, port: {args.port}}}\n", "bench.yaml"), store,
                     inspection_port=None, verify_defaults=VerifyDefaults("modelriver", [args.secret]),
                     writer_process=True)
    run_app(BenchApp(engine, args.control, args.exit_after_paint), headless=True, size=(160, 80))
    store.close()


if __name__ == "__main__":
    main()
