"""The event bus: the engine publishes what happened (typed messages, hookdeck_tui/messages.py); the TUI, the
headless printer and the SSE inspection stream subscribe, by message class. Everything runs on one asyncio loop, so
publishing is a plain call.

A subscriber never slows the listener, and never holds more than its bounds (messages and bytes): each queues
only what it will use (`shape` turns a message into that, when it is published — the SSE stream its encoded
frame, not the event with its body), and one that falls behind either loses its oldest messages (and is told
how many), or — `close_when_full`, for a stream that cannot catch up anyway — is dropped with a last note."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from hookdeck_tui.messages import Dropped, EngineMessage

MAX_QUEUED = 10_000  # messages a subscriber may have waiting
MAX_QUEUED_BYTES = 16 * 1024 * 1024  # and what they may hold, about

T = TypeVar("T")
Kinds = Iterable[type[EngineMessage]]


@dataclass
class Queued(Generic[T]):
    """What a subscriber takes out of its queue: the message (or what `shape` made of it) and how many this
    subscriber lost just before it."""

    message: T | Dropped
    dropped_before: int = 0
    size: int = 0  # about how many bytes it holds while queued


class _ByteCountingQueue(asyncio.Queue[Queued[T]]):
    """An unbounded asyncio.Queue that keeps the total `size` of what it holds (whoever takes items out)."""

    bytes: int

    def _init(self, maxsize: int) -> None:
        super()._init(maxsize)
        self.bytes = 0

    def _put(self, item: Queued[T]) -> None:
        self.bytes += item.size
        super()._put(item)

    def _get(self) -> Queued[T]:
        item: Queued[T] = super()._get()
        self.bytes -= item.size
        return item


@dataclass(eq=False)
class Subscription(Generic[T]):
    queue: _ByteCountingQueue[T]
    bus: EventBus
    shape: Callable[[EngineMessage], T]
    dropped: int = 0
    kinds: frozenset[type[EngineMessage]] | None = None
    max_count: int = MAX_QUEUED
    max_bytes: int = MAX_QUEUED_BYTES
    close_when_full: bool = False

    def __aiter__(self) -> AsyncIterator[Queued[T]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Queued[T]]:
        while True:
            yield await self.queue.get()

    async def get(self) -> Queued[T]:
        return await self.queue.get()

    def drain(self) -> list[Queued[T]]:
        """Everything queued now, without waiting (a face that reads in batches)."""
        taken = []
        while not self.queue.empty():
            taken.append(self.queue.get_nowait())
        return taken

    def close(self) -> None:
        self.bus._subscriptions.discard(self)

    def takes(self, message: EngineMessage) -> bool:
        return self.kinds is None or type(message) in self.kinds

    def offer(self, message: EngineMessage) -> None:
        try:
            item = self.shape(message)
        except Exception:
            self.dropped += 1
            return
        queued: Queued[T] = Queued(item, size=weight(item))
        queue = self.queue
        while queue.qsize() and (queue.qsize() >= self.max_count or queue.bytes + queued.size > self.max_bytes):
            if self.close_when_full:
                self._drop()
                return
            self.dropped += 1 + queue.get_nowait().dropped_before  # its own count is not lost with it
        queued.dropped_before, self.dropped = self.dropped, 0
        queue.put_nowait(queued)

    def _drop(self) -> None:
        """Too far behind: unsubscribe, free what was queued, and leave one last note saying so."""
        lost = self.queue.qsize() + 1
        while not self.queue.empty():
            self.queue.get_nowait()
        self.close()
        self.queue.put_nowait(Queued(Dropped(f"this subscriber fell behind by {lost} messages (over "
                                             f"{self.max_count} or {self.max_bytes} bytes) and was dropped", lost)))


def weight(item: object) -> int:
    """About the bytes a queued item keeps alive: a message's strings and event body, or what a shape made."""
    if isinstance(item, EngineMessage):
        return item.weight()
    if isinstance(item, (str, bytes)):
        return 64 + len(item)
    if isinstance(item, (list, tuple)):
        return 64 + sum(weight(part) - 64 for part in item)
    return 64


def _as_is(message: EngineMessage) -> EngineMessage:
    return message


@dataclass
class EventBus:
    _subscriptions: set[Subscription[Any]] = field(default_factory=set)

    @overload
    def subscribe(self, *, maxsize: int = ..., max_bytes: int = ..., kinds: Kinds | None = ...,
                  shape: None = ..., close_when_full: bool = ...) -> Subscription[EngineMessage]: ...

    @overload
    def subscribe(self, *, maxsize: int = ..., max_bytes: int = ..., kinds: Kinds | None = ...,
                  shape: Callable[[EngineMessage], T], close_when_full: bool = ...) -> Subscription[T]: ...

    def subscribe(self, *, maxsize: int = MAX_QUEUED, max_bytes: int = MAX_QUEUED_BYTES, kinds: Kinds | None = None,
                  shape: Callable[[EngineMessage], Any] | None = None,
                  close_when_full: bool = False) -> Subscription[Any]:
        """`kinds`: the message classes wanted (all when None); `shape`: what this subscriber queues instead of the
        published message (made at publish time, so the queue keeps only that); `close_when_full`: drop the
        subscriber, rather than its oldest messages, when it falls `maxsize` messages or `max_bytes` behind."""
        subscription: Subscription[Any] = Subscription(
            _ByteCountingQueue(), self, shape or _as_is, kinds=frozenset(kinds) if kinds else None,
            max_count=maxsize, max_bytes=max_bytes, close_when_full=close_when_full)
        self._subscriptions.add(subscription)
        return subscription

    def wants(self, kind: type[EngineMessage]) -> bool:
        """Does any subscriber take `kind`? (Lets a publisher skip building a message nobody reads.)"""
        return any(s.kinds is None or kind in s.kinds for s in self._subscriptions)

    def publish(self, message: EngineMessage) -> None:
        for subscription in list(self._subscriptions):
            if subscription.takes(message):
                subscription.offer(message)
