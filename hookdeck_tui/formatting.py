"""Plain-text renderings shared by the CLI printers and the TUI: times, hex dumps, header masking, and text from
requests made safe for a terminal."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from hookdeck_tui.bounds import loads_bounded

if TYPE_CHECKING:
    from hookdeck_tui.store.runs import JobState, RunRecord

VERDICT_BADGES = {"valid": "✓ valid", "invalid": "✗ invalid", "missing": "∅ missing", "expired": "⌛ expired",
                  "unchecked": "· unchecked", "malformed": "! malformed"}
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                               "api-key", "x-auth-token"})


def terminal_safe(text: str) -> str:
    """`text` from a request, safe to write to a terminal: control characters (ESC, BEL, CR, C1, bidi overrides
    — anything not printable but newline and tab) are shown as `\\x1b` / `\\u202e`, never run. A body must not
    retitle the terminal, clear the screen or write the clipboard (OSC 52)."""
    if text.isprintable():
        return text
    return "".join(ch if ch in "\n\t" or ch.isprintable() else _escape(ch) for ch in text)


def json_safe(text: str) -> str:
    """JSON text with every unprintable character as a `\\uXXXX` escape: still the same JSON, safe to print (a
    JSON encoder escapes C0 controls but leaves C1 ones and others raw with ensure_ascii=False)."""
    if text.isprintable():
        return text
    return "".join(ch if ch in "\n\t" or ch.isprintable() else _json_escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def run_state(run: RunRecord, states: list[JobState]) -> str:
    """A run's status as shown: `waiting` while a running run's newest job state is a wait for a callback."""
    if run.status == "running" and states and states[-1].state == "waiting":
        return "waiting"
    return run.status


class TerminalSafeStream:
    """stdout/stderr of the headless commands, as a last line of defence: whatever text a printer forgot to make
    terminal-safe (an error naming a request's path, a workflow's log line, an app's callback message) reaches the
    terminal with its control characters as `\\uXXXX` escapes — readable, valid inside JSON strings, never run.
    Raw bytes written to `.buffer` (a body piped to a file) pass untouched."""

    def __init__(self, stream: TextIO) -> None:  # sys.stdout or sys.stderr
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(json_safe(text))

    def __getattr__(self, name: str) -> Any:  # everything else is the stream's own
        return getattr(self._stream, name)


def local_time(epoch: float, *, with_date: bool = True) -> str:
    moment = datetime.fromtimestamp(epoch)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if with_date else moment.strftime("%H:%M:%S.%f")[:-3]


def mask_header(name: str, value: str) -> str:
    """Credentials stay hidden unless revealed: keep the scheme word and the last 4 characters."""
    if name.lower() not in SENSITIVE_HEADERS or len(value) <= 4:
        return value if name.lower() not in SENSITIVE_HEADERS else "••••"
    scheme, sep, secret = value.partition(" ")
    if sep and scheme.lower() in ("bearer", "basic", "token", "digest"):
        return f"{scheme} ••••{secret[-4:]}" if len(secret) > 8 else f"{scheme} ••••"
    return f"••••{value[-4:]}" if len(value) > 8 else "••••"


def hex_dump(data: bytes, limit: int = 4096) -> str:
    """Classic 16-bytes-per-line dump; only the first `limit` bytes, with a note for the rest."""
    lines = []
    for offset in range(0, min(len(data), limit), 16):
        chunk = data[offset:offset + 16]
        hex_part = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hex_part:<47}  {text}")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit} more bytes not shown")
    return "\n".join(lines)


def body_text(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(kind, text): pretty JSON when it parses, UTF-8 text when it decodes, else a hex dump."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "binary", hex_dump(body)
    try:
        return "json", json.dumps(loads_bounded(text), indent=2, ensure_ascii=False)
    except ValueError:  # not JSON, or too deep to indent (bounds.TooDeep): shown as text
        return "text", text
