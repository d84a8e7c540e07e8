"""Where a listener is reached from this machine: what a command sends to, the console's base URL while none is
running, and the URL a stored event was received at (its curl line, its HAR entry)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store uses listener_url too, and must not load the config's models
    from hookdeck_tui.config import Config

DEFAULT_LISTENER_URL = "http://127.0.0.1:8090"
_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # a bind to all addresses, reached by loopback


def listener_url(host: str | None, port: int) -> str:
    """The URL of a listener bound to `host`:`port` (an IPv6 address in brackets)."""
    reached = _WILDCARDS.get(host or "", host or "")
    return f"http://[{reached}]:{port}" if ":" in reached else f"http://{reached}:{port}"


def first_listener_url(config: Config) -> str:
    """Where the config's first listener answers."""
    if not config.listeners:
        return DEFAULT_LISTENER_URL
    first = config.listeners[0]
    return listener_url(first.host, first.port)
