"""What `y` (copy body) and `c` (copy as curl) put on the clipboard, and what they say about it. A body that is not
UTF-8 text, or is too big for a terminal's clipboard escape, is not pasted as mangled text: it is written to a file
in the current directory, and the curl line reads it from there (`--data-binary @file`). The message says what
really happened — a copy, a file, or nothing."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hookdeck_tui.console.types import CapturedEvent

COPY_LIMIT = 1_000_000  # bytes: terminals pass the clipboard as a base64 escape, and many drop a bigger one

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class Copy:
    text: str | None  # for the clipboard; None: nothing is copied
    message: str
    severity: Severity = "information"


def clipboard_text(body: bytes) -> str | None:
    """The body as text fit for the clipboard, or None when it is binary or too big to paste."""
    if len(body) > COPY_LIMIT:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def body_file(event: CapturedEvent, directory: Path) -> Path:
    """Where a body that cannot be copied is written: hooktui-body-<id>.bin (or .txt for big text)."""
    try:
        event.body.decode("utf-8")
        suffix = "txt"
    except UnicodeDecodeError:
        suffix = "bin"
    return directory / f"hooktui-body-{event.id}.{suffix}"


def _why(event: CapturedEvent) -> str:
    size = f"{len(event.body):,} bytes"
    return f"over the {COPY_LIMIT:,}-byte clipboard limit ({size})" if len(event.body) > COPY_LIMIT \
        else f"binary ({size})"


def _save(event: CapturedEvent, directory: Path) -> Path | str:
    """The body written to its file (its absolute path), or why it could not be."""
    path = body_file(event, directory).absolute()
    try:
        path.write_bytes(event.body)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return path


def body_copy(event: CapturedEvent, directory: Path) -> Copy:
    """`y`: the body on the clipboard, or in a file when it would not paste as itself."""
    if not event.body:
        return Copy(None, f"#{event.id} has no body: nothing copied", "warning")
    text = clipboard_text(event.body)
    if text is not None:
        return Copy(text, f"body of #{event.id} copied ({event.body_size} bytes)")
    saved = _save(event, directory)
    if isinstance(saved, str):
        return Copy(None, f"body of #{event.id} is {_why(event)}: not copied, and {saved}", "error")
    return Copy(None, f"body of #{event.id} is {_why(event)}: not copied — saved to {saved}", "warning")


def curl_copy(event: CapturedEvent, as_curl: Callable[[CapturedEvent], str], directory: Path) -> Copy:
    """`c`: a curl line that sends the same bytes — a body that would not paste is read from its file. `as_curl`:
    the console's curl line of an event (it knows the listener's URL)."""
    if not event.body or clipboard_text(event.body) is not None:
        return Copy(as_curl(event), f"#{event.id} copied as curl")
    saved = _save(event, directory)
    if isinstance(saved, str):
        return Copy(None, f"#{event.id} not copied as curl: its body is {_why(event)} and {saved}", "error")
    line = as_curl(dataclasses.replace(event, body=b"")) + " --data-binary " + shlex.quote(f"@{saved}")
    return Copy(line, f"#{event.id} copied as curl; its body ({_why(event)}) is read from {saved}")
