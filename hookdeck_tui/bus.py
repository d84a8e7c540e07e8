"""The event bus: the engine publishes what happened; the TUI, the headless printer and the SSE inspection stream
subscribe. Everything runs on one asyncio loop, so publishing is a plain call; a slow subscriber loses its oldest
messages (and is told how many) instead of slowing the listener."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Message:
    kind: str  # "event" (committed) | "event-updated" (forward/match result) | "log" | ...
    data: dict[str, Any]
    dropped_before: int = 0  # messages this subscriber lost just before this one


@dataclass
class Subscription:
    queue: asyncio.Queue
    bus: EventBus
    dropped: int = 0
    kinds: frozenset[str] | None = None

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while True:
            yield await self.queue.get()

    async def get(self) -> Message:
        return await self.queue.get()

    def close(self) -> None:
        self.bus._subscriptions.discard(self)

    def __hash__(self) -> int:
        return id(self)


@dataclass
class EventBus:
    _subscriptions: set[Subscription] = field(default_factory=set)

    def subscribe(self, *, maxsize: int = 10_000, kinds: set[str] | None = None) -> Subscription:
        subscription = Subscription(asyncio.Queue(maxsize), self, kinds=frozenset(kinds) if kinds else None)
        self._subscriptions.add(subscription)
        return subscription

    def wants(self, kind: str) -> bool:
        """Does any subscriber take `kind`? (Lets a publisher skip building a message nobody reads.)"""
        return any(s.kinds is None or kind in s.kinds for s in self._subscriptions)

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        for subscription in list(self._subscriptions):
            if subscription.kinds is not None and kind not in subscription.kinds:
                continue
            queue = subscription.queue
            if queue.full():
                queue.get_nowait()
                subscription.dropped += 1
            queue.put_nowait(Message(kind, data, subscription.dropped))
            subscription.dropped = 0
