"""Helper process for the kill -9 test: appends events concurrently and prints each acknowledged id.

Run as `python tests/store_load_writer.py DB` — it writes forever until killed. Each line on stdout is
`<id> <n>`: event n was acknowledged (its commit finished) with id <id>.
"""

from __future__ import annotations

import asyncio
import sys

from hookdeck_tui.store import CapturedEvent, Store


async def main(path: str) -> None:
    store = Store(path)
    store.start_writer_process()  # as a console does: the kill -9 test covers the path the listener takes
    counter = 0

    async def one_writer() -> None:
        nonlocal counter
        while True:
            counter += 1
            n = counter
            body = f'{{"n": {n}, "pad": "{"x" * (n % 300)}"}}'.encode()
            event_id = await store.append(CapturedEvent("POST", f"/load/{n}", [("X-N", str(n))], body))
            sys.stdout.write(f"{event_id} {n}\n")
            sys.stdout.flush()

    await asyncio.gather(*(one_writer() for _ in range(64)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
