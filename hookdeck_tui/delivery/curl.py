"""A captured request as a curl command line (for `c`): the body inline, shell-quoted; binary bodies point at
`hooktui show ID --json` instead of pasting bytes a terminal would mangle."""

from __future__ import annotations

import shlex

from hookdeck_tui.delivery.forward import HOP_BY_HOP
from hookdeck_tui.formatting import terminal_safe
from hookdeck_tui.store import CapturedEvent


def as_curl(event: CapturedEvent, base_url: str) -> str:
    parts = ["curl", "-X", event.method, _quote(base_url.rstrip("/") + event.target)]
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
    """Shell-quoted; text with control characters as bash's $'…' with escapes, so pasting the command line
    sends the same bytes and printing it runs no terminal escape."""
    if terminal_safe(text) == text:
        return shlex.quote(text)
    escaped = "".join(f"\\x{ord(ch):02x}" if ord(ch) < 0x20 or ord(ch) == 0x7f else
                      f"\\u{ord(ch):04x}" if not ch.isprintable() else "\\" + ch if ch in "\\'" else ch
                      for ch in text)
    return f"$'{escaped}'"
