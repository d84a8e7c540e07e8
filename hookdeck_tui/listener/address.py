"""Where a configured listener answers, before (or without) starting it: what a command sends to, and the
console's base URL while none is running."""

from __future__ import annotations

from hookdeck_tui.config import Config

DEFAULT_LISTENER_URL = "http://127.0.0.1:8090"


def first_listener_url(config: Config) -> str:
    """Where the config's first listener answers."""
    if not config.listeners:
        return DEFAULT_LISTENER_URL
    first = config.listeners[0]
    host = "127.0.0.1" if first.host in ("0.0.0.0", "::", "") else first.host
    return f"http://{host}:{first.port}"
