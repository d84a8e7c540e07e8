"""The one bridge from the engine's bus to Textual: every frame (50 ms; 500 ms during a burst, when drawing less
often leaves more time for the listeners) it drains the app's subscription and posts what arrived as ONE Textual
message, so thousands of events never become thousands of messages for the UI thread. New events are not bus
messages here: each frame the app reads what was stored since the last one, so the frame is posted even when the
bus had nothing to say."""

from __future__ import annotations

import time
from collections.abc import Iterable

from textual.message import Message
from textual.message_pump import MessagePump
from textual.timer import Timer

from hookdeck_tui.console.types import EngineMessage, Subscription

FLUSH_EVERY = 0.05  # a new event shows within ~50 ms...
BUSY_FLUSH_EVERY = 0.5  # ...or 500 ms during a burst


class EngineBatch(Message):
    """What the bus said since the last frame (maybe nothing), in the order it said it."""

    def __init__(self, messages: tuple[EngineMessage, ...]) -> None:
        super().__init__()
        self.messages = messages

    def has(self, *kinds: type[EngineMessage]) -> bool:
        return any(isinstance(message, kinds) for message in self.messages)

    def of(self, kind: type[EngineMessage]) -> Iterable[EngineMessage]:
        return (message for message in self.messages if isinstance(message, kind))


class EngineBridge:
    def __init__(self, target: MessagePump, subscription: Subscription[EngineMessage]) -> None:
        self.target = target
        self.subscription: Subscription[EngineMessage] | None = subscription
        self.busy = False  # the app says so from what arrived: then frames come every BUSY_FLUSH_EVERY
        self._last = 0.0
        self._timer: Timer | None = None

    def start(self) -> None:
        self._timer = self.target.set_interval(FLUSH_EVERY, self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        if self.busy and now - self._last < BUSY_FLUSH_EVERY:
            return
        self._last = now
        self.target.post_message(EngineBatch(self.drain()))

    def drain(self) -> tuple[EngineMessage, ...]:
        """What the subscription holds now (a note that it fell behind is not shown: the store has it all)."""
        if self.subscription is None:
            return ()
        return tuple(queued.message for queued in self.subscription.drain())

    def close(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.subscription is not None:
            self.subscription.close()
            self.subscription = None
