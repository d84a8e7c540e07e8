"""Where a listener bound to an address is reached from this machine: the URL a command sends to and the one a
stored event was received at (its curl line, its HAR entry). No imports: the store and the short commands use it."""

from __future__ import annotations

DEFAULT_LISTENER_URL = "http://127.0.0.1:8090"
_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # a bind to all addresses, reached by loopback


def listener_url(host: str | None, port: int) -> str:
    """The URL of a listener bound to `host`:`port` (an IPv6 address in brackets)."""
    reached = _WILDCARDS.get(host or "", host or "")
    return f"http://[{reached}]:{port}" if ":" in reached else f"http://{reached}:{port}"
