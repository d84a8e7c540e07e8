"""A captured request as a curl command line (for `c`): the body inline, shell-quoted; binary bodies point at
`hooktui show ID --json` instead of pasting bytes a terminal would mangle."""

from __future__ import annotations

import shlex

from hookdeck_tui.delivery.forward import HOP_BY_HOP
from hookdeck_tui.formatting import terminal_safe
from hookdeck_tui.store import CapturedEvent
from hookdeck_tui.store.exchange import event_origin


def as_curl(event: CapturedEvent, base_url: str | None = None) -> str:
    # quoted, the method too: an imported event's method is whatever its file said
    parts = ["curl", "-X", _quote(event.method), _quote(event_origin(event, base_url) + event.target)]
    for name, value in event.headers:
        if name.lower() not in HOP_BY_HOP:
            parts += ["-H", _quote(f"{name}: {value}")]
    if event.body:
        try:
            parts += ["--data-binary", _quote(event.body.decode("utf-8"))]
        except UnicodeDecodeError:
            parts.append(f"# binary body of {event.body_size} bytes: see `hooktui show {event.id} --json`")
    return " ".join(parts)


def _quote(text: str) -> str:
    """Shell-quoted; text with control characters as bash's $'…' with each one's bytes escaped, so pasting the
    command line sends the same bytes and printing it runs no terminal escape."""
    if terminal_safe(text) == text:
        return shlex.quote(text)
    escaped = "".join("".join(f"\\x{byte:02x}" for byte in ch.encode("utf-8")) if not ch.isprintable() else
                      "\\" + ch if ch in "\\'" else ch
                      for ch in text)  # UTF-8 bytes: bash's \\u escapes depend on the locale, bytes do not
    return f"$'{escaped}'"
