"""The event bus: the engine publishes what happened; the TUI, the headless printer and the SSE inspection stream
subscribe. Everything runs on one asyncio loop, so publishing is a plain call.

A subscriber never slows the listener, and never holds more than its bounds (messages and bytes): each queues
only what it will use (`shape` turns a message into that, when it is published — the SSE stream its encoded
summary, not the event with its body), and one that falls behind either loses its oldest messages (and is told
how many), or — `close_when_full`, for a stream that cannot catch up anyway — is dropped with a last note."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

MAX_QUEUED = 10_000  # messages a subscriber may have waiting
MAX_QUEUED_BYTES = 16 * 1024 * 1024  # and what they may hold, about
DROPPED = "dropped"  # the kind of the last message a subscriber dropped for falling behind receives


@dataclass
class Message:
    kind: str  # "event" (committed) | "event-updated" (forward/match result) | "log" | ... | DROPPED
    data: dict[str, Any]
    dropped_before: int = 0  # messages this subscriber lost just before this one
    size: int = 0  # about how many bytes it holds while queued


class _ByteCountingQueue(asyncio.Queue):
    """An unbounded asyncio.Queue that keeps the total `size` of what it holds (whoever takes items out)."""

    def _init(self, maxsize: int) -> None:
        super()._init(maxsize)
        self.bytes = 0

    def _put(self, item: Message) -> None:
        self.bytes += item.size
        super()._put(item)

    def _get(self) -> Message:
        item = super()._get()
        self.bytes -= item.size
        return item


@dataclass(eq=False)
class Subscription:
    queue: asyncio.Queue
    bus: EventBus
    dropped: int = 0
    kinds: frozenset[str] | None = None
    shape: Callable[[Message], Message] | None = None
    max_count: int = MAX_QUEUED
    max_bytes: int = MAX_QUEUED_BYTES
    close_when_full: bool = False

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while True:
            yield await self.queue.get()

    async def get(self) -> Message:
        return await self.queue.get()

    def close(self) -> None:
        self.bus._subscriptions.discard(self)

    def offer(self, message: Message) -> None:
        if self.shape is not None:
            try:
                message = self.shape(message)
            except Exception:
                self.dropped += 1
                return
        message.size = message.size or weight(message)
        queue = self.queue
        while queue.qsize() and (queue.qsize() >= self.max_count or queue.bytes + message.size > self.max_bytes):
            if self.close_when_full:
                self._drop(message)
                return
            self.dropped += 1 + queue.get_nowait().dropped_before  # its own count is not lost with it
        message.dropped_before, self.dropped = self.dropped, 0
        queue.put_nowait(message)

    def _drop(self, message: Message) -> None:
        """Too far behind: unsubscribe, free what was queued, and leave one last note saying so."""
        lost = self.queue.qsize() + 1
        while not self.queue.empty():
            self.queue.get_nowait()
        self.close()
        self.queue.put_nowait(Message(DROPPED, {"reason": f"this subscriber fell behind by {lost} messages "
                                                          f"(over {self.max_count} or {self.max_bytes} bytes) "
                                                          f"and was dropped", "lost": lost}))


def weight(message: Message) -> int:
    """About the bytes a queued message keeps alive: its strings, and an event's body, headers and match."""
    size = 64
    for value in message.data.values():
        if isinstance(value, (str, bytes)):
            size += len(value)
        else:
            body = getattr(value, "body", None)
            if isinstance(body, bytes):
                size += 512 + len(body) + sum(len(k) + len(v) for k, v in value.headers)
    return size


@dataclass
class EventBus:
    _subscriptions: set[Subscription] = field(default_factory=set)

    def subscribe(self, *, maxsize: int = MAX_QUEUED, max_bytes: int = MAX_QUEUED_BYTES,
                  kinds: set[str] | None = None, shape: Callable[[Message], Message] | None = None,
                  close_when_full: bool = False) -> Subscription:
        """`shape`: what this subscriber queues instead of the published message (made at publish time, so the
        queue keeps only that); `close_when_full`: drop the subscriber, rather than its oldest messages, when it
        falls `maxsize` messages or `max_bytes` behind."""
        subscription = Subscription(_ByteCountingQueue(), self, kinds=frozenset(kinds) if kinds else None,
                                    shape=shape, max_count=maxsize, max_bytes=max_bytes,
                                    close_when_full=close_when_full)
        self._subscriptions.add(subscription)
        return subscription

    def wants(self, kind: str) -> bool:
        """Does any subscriber take `kind`? (Lets a publisher skip building a message nobody reads.)"""
        return any(s.kinds is None or kind in s.kinds for s in self._subscriptions)

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        for subscription in list(self._subscriptions):
            if subscription.kinds is not None and kind not in subscription.kinds:
                continue
            subscription.offer(Message(kind, data))
