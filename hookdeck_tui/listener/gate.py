"""`max_concurrent_count`: at most N requests are handled at once; up to `max_queued_count` more wait (at most
`queue_timeout` seconds) and the rest are answered 503 with Retry-After."""

from __future__ import annotations

import asyncio


class ConcurrencyGate:
    def __init__(self, limit: int, queue_limit: int, wait_timeout: float) -> None:
        self.limit = limit
        self.queue_limit = queue_limit
        self.wait_timeout = wait_timeout
        self._semaphore = asyncio.Semaphore(limit) if limit else None
        self.waiting = 0
        self.active = 0

    async def acquire(self) -> str | None:
        """None when admitted (call `release` after); otherwise why the request is refused."""
        if self._semaphore is None:
            self.active += 1
            return None
        if self._semaphore.locked() and self.waiting >= self.queue_limit:
            return f"{self.limit} requests are being handled and {self.waiting} are queued (max_queued_count)"
        self.waiting += 1
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self.wait_timeout)
        except TimeoutError:
            return f"waited {self.wait_timeout:g} s for one of the {self.limit} handling slots"
        finally:
            self.waiting -= 1
        self.active += 1
        return None

    def release(self) -> None:
        self.active -= 1
        if self._semaphore is not None:
            self._semaphore.release()
