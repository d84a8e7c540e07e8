"""Runs waiting for callbacks, keyed by what the callback route's `identify_by` gives.

A waiter is registered *before* the outbound request is sent, so a fast callback cannot slip past it. A callback
for a key nobody waits on yet is buffered (default 60 s) and handed over when the waiter registers — model-compose
drops it; we do not. Two waiters on one key is an error, said plainly. Progress callbacks (a status that is in
neither `success_when` nor `fail_when`) are passed on and the waiter keeps waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from hookdeck_tui.bounds import approximate_size


class WaiterConflict(Exception):
    """Another run already waits on this key."""


@dataclass
class Callback:
    outcome: str  # success | failed | progress
    status: Any
    result: Any
    event_id: int | None
    received_at: float = field(default_factory=time.time)
    size: int = 0  # about the bytes it keeps while buffered (its result)
    seq: int = 0  # its place in the arrival order of buffered callbacks


@dataclass
class Waiter:
    key: str
    run_id: str
    job_id: str
    updates: asyncio.Queue[Callback] = field(default_factory=asyncio.Queue)

    async def next(self) -> Callback:
        return await self.updates.get()


MAX_BUFFERED_PER_KEY = 100
MAX_BUFFERED_BYTES = 64 * 1024 * 1024  # over every key: callbacks for keys nobody waits on must not grow memory
DEFAULT_CALLBACK_KEY = "__callback__"  # model-compose's key when a route has no `identify_by`


class WaiterRegistry:
    def __init__(self, buffer_seconds: float = 60.0) -> None:
        self.buffer_seconds = buffer_seconds
        self._waiters: dict[str, Waiter] = {}
        self._buffered: dict[str, list[Callback]] = {}
        self._arrivals: deque[tuple[str, int]] = deque()  # (key, seq) of buffered callbacks, oldest first
        self._seq = 0
        self.buffered_bytes = 0

    def register(self, key: Any, run_id: str, job_id: str) -> Waiter:
        text = _key(key)
        holder = self._waiters.get(text)
        if holder is not None:
            raise WaiterConflict(f"run {holder.run_id} (job {holder.job_id}) already waits for a callback keyed "
                                 f"`{text}`: two runs cannot wait on one key")
        waiter = Waiter(text, run_id, job_id)
        self._waiters[text] = waiter
        for callback in self._take_buffered(text):
            waiter.updates.put_nowait(callback)
        return waiter

    def release(self, waiter: Waiter) -> None:
        if self._waiters.get(waiter.key) is waiter:
            del self._waiters[waiter.key]

    def deliver(self, key: Any, callback: Callback) -> dict[str, Any]:
        """Hand a callback to its waiter, or buffer it; says which (recorded on the event)."""
        text = _key(key)
        waiter = self._waiters.get(text)
        if waiter is not None:
            waiter.updates.put_nowait(callback)
            return {"delivered": True, "key": text, "run_id": waiter.run_id, "job_id": waiter.job_id,
                    "outcome": callback.outcome}
        self._prune()
        kept = self._buffered.setdefault(text, [])
        self._seq += 1
        callback.seq = self._seq
        callback.size = 64 + approximate_size(callback.result, MAX_BUFFERED_BYTES)
        kept.append(callback)
        self._arrivals.append((text, callback.seq))
        self.buffered_bytes += callback.size
        dropped = ""
        if len(kept) > MAX_BUFFERED_PER_KEY:  # a storm for one key must not grow without bound
            self.buffered_bytes -= sum(old.size for old in kept[:-MAX_BUFFERED_PER_KEY])
            del kept[:-MAX_BUFFERED_PER_KEY]
            dropped = f"; only the newest {MAX_BUFFERED_PER_KEY} for this key are kept"
        if self.buffered_bytes > MAX_BUFFERED_BYTES:  # nor many keys together
            evicted = self._evict_oldest()
            dropped += f"; the {evicted} oldest buffered callbacks were let go (over {MAX_BUFFERED_BYTES} bytes kept)"
        return {"delivered": False, "key": text, "buffered": True,
                "reason": f"no waiter for `{text}` yet: kept {self.buffer_seconds:g} s for a run that registers"
                          f"{dropped}"}

    def buffered_count(self, key: Any) -> int:
        return len(self._buffered.get(_key(key), []))

    def waiting_keys(self) -> list[str]:
        return list(self._waiters)

    def _take_buffered(self, key: str) -> list[Callback]:
        self._prune()
        taken = self._buffered.pop(key, [])
        self.buffered_bytes -= sum(callback.size for callback in taken)
        return taken

    def _prune(self) -> None:
        horizon = time.time() - self.buffer_seconds
        for key in list(self._buffered):
            kept = [c for c in self._buffered[key] if c.received_at >= horizon]
            self.buffered_bytes -= sum(c.size for c in self._buffered[key]) - sum(c.size for c in kept)
            if kept:
                self._buffered[key] = kept
            else:
                del self._buffered[key]
        while self._arrivals and self._gone(*self._arrivals[0]):
            self._arrivals.popleft()

    def _gone(self, key: str, seq: int) -> bool:
        """Has the buffered callback (key, seq) left already? (Each key's callbacks leave oldest first.)"""
        kept = self._buffered.get(key)
        return not kept or kept[0].seq > seq

    def _evict_oldest(self) -> int:
        evicted = 0
        while self.buffered_bytes > MAX_BUFFERED_BYTES and self._arrivals:
            key, seq = self._arrivals.popleft()
            if self._gone(key, seq):
                continue
            kept = self._buffered[key]
            self.buffered_bytes -= kept.pop(0).size
            if not kept:
                del self._buffered[key]
            evicted += 1
        return evicted


def _key(key: Any) -> str:
    return key if isinstance(key, str) else str(key)
