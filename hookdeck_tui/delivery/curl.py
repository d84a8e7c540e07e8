"""A captured request as a curl command line (for `c`): the body inline, shell-quoted; binary bodies point at
`hooktui show ID --json` instead of pasting bytes a terminal would mangle."""

from __future__ import annotations

import shlex

from hookdeck_tui.delivery.forward import HOP_BY_HOP
from hookdeck_tui.store import CapturedEvent


def as_curl(event: CapturedEvent, base_url: str) -> str:
    parts = ["curl", "-X", event.method, shlex.quote(base_url.rstrip("/") + event.target)]
    for name, value in event.headers:
        if name.lower() not in HOP_BY_HOP:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if event.body:
        try:
            parts += ["--data-binary", shlex.quote(event.body.decode("utf-8"))]
        except UnicodeDecodeError:
            parts.append(f"# binary body of {event.body_size} bytes: see `hooktui show {event.id} --json`")
    return " ".join(parts)
