"""Tests wait on conditions, never on fixed sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def wait_until(condition: Callable[[], object], timeout: float = 10) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


def wait_until_sync(condition: Callable[[], object], timeout: float = 10) -> None:
    """The same, for tests that drive subprocesses without an event loop."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout:g} s")
        time.sleep(0.02)
