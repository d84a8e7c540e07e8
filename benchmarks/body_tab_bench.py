"""How long the Body tab takes to draw a large JSON body, folded (as it opens) and expanded (`z`): building the
renderable, then rendering it at 120 columns as the detail pane would. Figures only.

    python benchmarks/body_tab_bench.py --orders 1500 --rounds 3
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time

from rich.console import Console

from hookdeck_tui.store import CapturedEvent
from hookdeck_tui.tui.body_view import body_view
from hookdeck_tui.tui.theme_styles import DARK


def body(orders: int) -> bytes:
    items = [{"id": n, "customer": {"name": f"c{n}", "address": {"city": "Oslo", "zip": "0150", "lines": ["a", "b"]}},
              "tags": list(range(10))} for n in range(orders)]
    return json.dumps({"orders": items, "page": 1}).encode()


def timed(event: CapturedEvent, expanded: bool) -> tuple[float, float]:
    console = Console(width=120, file=io.StringIO(), color_system="truecolor")
    started = time.perf_counter()
    shown = body_view(event, DARK, expanded=expanded)
    built = time.perf_counter()
    console.print(shown)
    return (built - started) * 1000, (time.perf_counter() - built) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1500, help="array items in the body (1500: about 220 KB)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    payload = body(args.orders)
    event = CapturedEvent("POST", "/bulk", [("content-type", "application/json")], payload, id=1)
    print(f"body: {len(payload):,} bytes, {json.dumps(json.loads(payload), indent=2).count(chr(10)) + 1:,} lines "
          f"pretty-printed")
    for label, expanded in (("folded", False), ("expanded", True)):
        rounds = [timed(event, expanded) for _ in range(args.rounds)]
        build = statistics.median(r[0] for r in rounds)
        render = statistics.median(r[1] for r in rounds)
        print(f"{label:<9} build {build:8.1f} ms   render {render:8.1f} ms   (medians of {args.rounds})")


if __name__ == "__main__":
    main()
