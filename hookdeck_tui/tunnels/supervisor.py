"""One tunnel's life: starting → online → (reconnecting → online)… → stopped, or failed when retrying cannot help
(no binary, bad credentials). Restarts back off exponentially (capped). Every change — status, public URL, last
error, log line — is published on the bus as a `tunnel` message."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hookdeck_tui.bus import EventBus
from hookdeck_tui.messages import TunnelChanged, TunnelLogLine

STATUSES = ("starting", "online", "reconnecting", "failed", "stopped")


class TunnelFailed(Exception):
    """The tunnel cannot work until the user acts (missing binary, refused credentials): do not retry."""


class TunnelDropped(Exception):
    """The tunnel went down (process exited, connection lost): retry after a backoff."""


@dataclass
class TunnelState:
    name: str  # e.g. "cloudflare :8090"
    driver: str
    port: int
    status: str = "starting"
    public_url: str | None = None
    last_error: str | None = None
    restarts: int = 0
    log: deque[str] = field(default_factory=lambda: deque(maxlen=200))

    def to_json(self) -> dict[str, Any]:
        return self.message().to_json()

    def message(self) -> TunnelChanged:
        return TunnelChanged(self.name, self.driver, self.port, self.status, self.public_url, self.last_error,
                             self.restarts)


# A driver session: called with the state (to report its URL and log lines); returns or raises when the tunnel
# is down. It sets `state.public_url` and calls `online()` once the tunnel works.
Session = Callable[["Supervisor"], Awaitable[None]]


class Supervisor:
    def __init__(self, state: TunnelState, session: Session, bus: EventBus, *, backoff: float = 0.5,
                 backoff_cap: float = 30.0) -> None:
        self.state = state
        self.session = session
        self.bus = bus
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"tunnel {self.state.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._set("stopped")

    async def restart(self) -> None:
        """Asked for by the user: end the current session (a failed tunnel too) and start afresh, backoff reset."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.state.public_url = None
        self.log("restart requested")
        self._set("starting")
        self.start()

    def log(self, line: str) -> None:
        self.state.log.append(f"{time.strftime('%H:%M:%S')} {line}")
        self.bus.publish(TunnelLogLine(self.state.name, line))

    def online(self, public_url: str) -> None:
        self.state.public_url = public_url
        self.state.last_error = None
        self._set("online")

    async def _supervise(self) -> None:
        delay = self.backoff
        while True:
            try:
                await self.session(self)
                raise TunnelDropped("the tunnel ended")
            except TunnelFailed as exc:
                self.state.last_error = str(exc)
                self.state.public_url = None
                self._set("failed")
                return
            except TunnelDropped as exc:
                self.state.last_error = str(exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.state.last_error = f"{type(exc).__name__}: {exc}"
            was_online = self.state.status == "online"
            self.state.public_url = None
            self.state.restarts += 1
            if was_online:
                delay = self.backoff  # it worked for a while: start the backoff over
            self._set("reconnecting")
            self.log(f"down: {self.state.last_error}; retrying in {delay:g} s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_cap)
            self._set("starting")

    def _set(self, status: str) -> None:
        self.state.status = status
        self.bus.publish(self.state.message())
