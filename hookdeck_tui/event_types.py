"""What kind of event a webhook carries (`invoice.paid`, `push`, `checkout.session.completed`), from the
provider's header or the body — one function, so routing by type and any list that shows types agree."""

from __future__ import annotations

import contextlib
import fnmatch
from typing import Any

from hookdeck_tui.bounds import loads_bounded

# headers that name the event type, in the order they are trusted
TYPE_HEADERS = ("x-github-event", "x-gitlab-event", "x-shopify-topic", "x-event-type", "x-hook-event",
                "x-twitch-eventsub-subscription-type")
# body keys, in order: Stripe / Standard Webhooks / Slack `type`, `event` (many), a Slack slash `command`
_BODY_KEYS = ("type", "event_type", "event", "command")


def event_type(headers: list[tuple[str, str]], body: bytes, parsed: Any = None) -> str | None:
    """The event's type, or None when neither a header nor the body names one. `parsed` is the body already
    parsed (JSON or form), when the caller has it. A Slack `event_callback` names its type in `event.type`."""
    for name, value in headers:
        if name.lower() in TYPE_HEADERS and value:
            return value
    if parsed is None and body[:1] in (b"{", b"["):
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            parsed = loads_bounded(body)
    if not isinstance(parsed, dict):
        return None
    outer = parsed.get("type")
    inner = parsed.get("event")
    inner_type = inner.get("type") if outer == "event_callback" and isinstance(inner, dict) else None
    if isinstance(inner_type, str):
        return inner_type
    for key in _BODY_KEYS:
        named = parsed.get(key)
        if isinstance(named, str) and named:
            return named
    return None


def type_matches(kind: str | None, patterns: list[str]) -> bool:
    """Whether `kind` matches one of the globs (`checkout.*`, `*`); an event without a type matches only `*`."""
    if kind is None:
        return "*" in patterns
    return any(fnmatch.fnmatchcase(kind, pattern) for pattern in patterns)
