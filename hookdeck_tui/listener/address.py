"""Where a configured listener answers, before (or without) starting it — what a command sends to, the console's
base URL while none is running — and the error for an address that is taken."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hookdeck_tui.addressing import DEFAULT_LISTENER_URL, listener_url

if TYPE_CHECKING:
    from hookdeck_tui.config import Config


class PortInUse(Exception):
    """The listener's address is taken (or not available); the message says which and what to do. Here, not beside
    the server: a command that only sends (`send`, `replay`) catches it without loading uvicorn."""


def first_listener_url(config: Config) -> str:
    """Where the config's first listener answers."""
    if not config.listeners:
        return DEFAULT_LISTENER_URL
    first = config.listeners[0]
    return listener_url(first.host, first.port)
