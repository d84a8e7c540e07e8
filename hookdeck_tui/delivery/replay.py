"""Replay of a captured event: to the app (the forward target), to any URL, or back into the console's
own listener (re-ingested in-process, so it re-triggers workflows) — as captured, byte-exact, or re-signed with a
fresh timestamp and id under the configured scheme and secret, optionally edited first (method, path, headers,
body). The replayed request is captured itself, with origin "replay" pointing at the original."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hookdeck_tui.bus import EventBus
from hookdeck_tui.config import Config
from hookdeck_tui.config.models import ForwardTarget
from hookdeck_tui.delivery.forward import ForwardResult, target_url
from hookdeck_tui.delivery.outbound import deliver, expected_verdict, new_client, send_and_record
from hookdeck_tui.delivery.request import Outgoing
from hookdeck_tui.listener.pipeline import CAPTURED_KEY, ORIGIN_KEY
from hookdeck_tui.listener.routing import match_route, select_target
from hookdeck_tui.signatures import SchemeOptions, SignatureVerdict, canonical_name
from hookdeck_tui.signatures.resign import default_secret, replace_signature, secret_for
from hookdeck_tui.store import CapturedEvent, Store

LISTENER = "listener"  # the target name for "back into the console's own listener"


class ReplayError(ValueError):
    """A replay that cannot be made as asked; the message says what to pass."""


@dataclass
class Resign:
    scheme: str
    secret: str
    options: SchemeOptions | None = None


@dataclass
class Edits:
    method: str | None = None
    target: str | None = None  # path, with ?query when it has one
    headers: list[tuple[str, str]] | None = None
    body: bytes | None = None


@dataclass
class ReplayOutcome:
    event: CapturedEvent | None  # the replay as captured
    result: ForwardResult
    request: Outgoing

    def line(self, original: CapturedEvent) -> str:
        answer = (f"{self.result.status} in {self.result.latency_ms:g} ms" if self.result.status is not None
                  else f"failed: {self.result.error}")
        was = f" (the original got {original.response_status})" if original.response_status is not None else ""
        number = f" → #{self.event.id}" if self.event is not None and self.event.id is not None else ""
        verdict = self.verdict
        checked = "" if verdict is None or not self._signed(original) else \
            f"; signature valid ({verdict.scheme})" if verdict.is_valid else f"; signature {verdict.status}: " \
            f"{verdict.reason}"
        return f"replay of #{original.id}{number}: {self.request.method} {self.request.url} → {answer}{was}{checked}"

    def signature_broken(self, original: CapturedEvent) -> bool:
        """Whether the replay's signature fails where it matters: it carries one that does not verify, or the
        original was signed and the replay is not. (An unsigned request replayed unsigned is not a failure.)"""
        verdict = self.verdict
        return verdict is not None and self._signed(original) and not verdict.is_valid

    def _signed(self, original: CapturedEvent) -> bool:
        """Whether signatures concern this replay: the original or the replay carries one, or a scheme is required."""
        unsigned = ("unchecked", "missing")
        return any(v is not None and v.status not in unsigned for v in (original.signature, self.verdict)) or \
            (original.signature is not None and original.signature.status == "missing")

    @property
    def verdict(self) -> SignatureVerdict | None:
        """What a receiver holding the route's secret concludes about the replay (None: no secret to tell)."""
        return self.event.signature if self.event is not None else None


def replay_url(event: CapturedEvent, to: str, *, target: str | None = None) -> str:
    """A bare origin (`http://localhost:4000`) gets the event's path and query; a URL with a path is used as
    given (with the event's query when the URL has none)."""
    parts = urlsplit(to)
    if not parts.scheme or not parts.netloc:
        raise ReplayError(f"{to!r} is not a URL like http://127.0.0.1:4000")
    target = target or event.target
    if parts.path in ("", "/"):
        return to.rstrip("/") + target
    query = target.partition("?")[2]
    return to + (f"?{query}" if query and not parts.query else "")


def build_replay(event: CapturedEvent, url: str, *, resign: Resign | None = None, edits: Edits | None = None,
                 now: float | None = None) -> Outgoing:
    edits = edits or Edits()
    method = (edits.method or event.method).upper()
    headers = list(edits.headers if edits.headers is not None else event.headers)
    body = edits.body if edits.body is not None else event.body
    if resign is not None:
        stamp = int(time.time() if now is None else now)
        message_id = f"msg_replay_{stamp}_{event.id}"
        headers = replace_signature(headers, body, resign.scheme, resign.secret, stamp, message_id, url,
                                    resign.options)
    return Outgoing(method, url, headers, body)


def resign_settings(config: Config | None, event: CapturedEvent, *, scheme: str | None = None,
                    secret: str | None = None, default_scheme: str | None = None,
                    default_secrets: list[str] | None = None) -> Resign:
    """The scheme and secret to re-sign `event` with: what was passed, else the verify settings of the route the
    event came in on, else the scheme it was signed with and the provider's conventional secret variable."""
    verify = _route_verify(config, event)
    chosen = scheme or (verify.scheme if verify else None) or (event.signature.scheme if event.signature else None) \
        or default_scheme
    if not chosen:
        raise ReplayError(f"event #{event.id} carries no signature hooktui recognises: pass --scheme to re-sign it")
    chosen = canonical_name(chosen)
    same_scheme = verify is not None and (verify.scheme is None or canonical_name(verify.scheme) == chosen)
    key = secret or (verify.all_secrets[0] if same_scheme and verify.all_secrets else None) \
        or default_secret(chosen, default_secrets or ())
    key = secret_for(chosen, key)
    if not key:
        raise ReplayError(f"re-signing as {chosen} needs its secret: --secret SECRET, $HOOKTUI_SECRET, or "
                          f"verify.secret in the config")
    return Resign(chosen, key, SchemeOptions.of(verify) if same_scheme else None)


def _routes(config: Config | None, event: CapturedEvent) -> list[Any]:
    """The configured routes `event` matches, the listener it came in on first."""
    if config is None:
        return []
    port = event.listener_port
    listeners = sorted(config.listeners, key=lambda listener: port is None or listener.port != port)
    found = (match_route(listener, event.method, event.path).route for listener in listeners)
    return [route for route in found if route is not None]


def _route_verify(config: Config | None, event: CapturedEvent) -> Any:
    return next((route.verify for route in _routes(config, event) if route.verify is not None), None)


def forward_url(config: Config | None, event: CapturedEvent, default: Sequence[ForwardTarget] = ()) -> str | None:
    """Where the console forwards `event`: its route's `forward:` target, else the `--forward-to` one (chosen by
    path and event type, as the listener chooses)."""
    for route in _routes(config, event):
        target = select_target(route.forward, event) if route.forward else None
        if target is not None:
            return target_url(target, event.path, event.query)
    target = select_target(list(default), event) if default else None
    return target_url(target, event.path, event.query) if target is not None else None


async def replay(store: Store, event: CapturedEvent, url: str, *, resign: Resign | None = None,
                 edits: Edits | None = None, timeout: float = 30.0, checked_with: Resign | None = None,
                 bus: EventBus | None = None) -> ReplayOutcome:
    """Send a replay over HTTP and keep it as an event of origin "replay", with the verdict a receiver holding
    the secret reaches (`checked_with`: the scheme and secret to judge it by when it is not re-signed)."""
    request = build_replay(event, url, resign=resign, edits=edits, now=store.clock())
    judge = resign or checked_with
    async with new_client() as client:
        captured, result = await send_and_record(
            store, client, request, origin="replay", origin_ref=event.id,
            verdict=expected_verdict(request, judge.scheme, judge.secret, judge.options) if judge else None,
            meta={"replay": {"of": event.id, "resigned": resign is not None, "edited": edits is not None}},
            timeout=timeout, bus=bus)
    return ReplayOutcome(captured, result, request)


async def reingest(store: Store, app: Any, event: CapturedEvent, *, resign: Resign | None = None,
                   edits: Edits | None = None, base_url: str = "http://127.0.0.1") -> ReplayOutcome:
    """Replay into the console's own listener in this process: the pipeline captures it (origin "replay"), checks
    it and hands it to workflows like any request — and hands the event it captured back through the scope."""
    target = edits.target if edits and edits.target else event.target
    request = build_replay(event, base_url.rstrip("/") + target, resign=resign, edits=edits, now=store.clock())
    captured: list[CapturedEvent] = []

    async def marked(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope = {**scope, ORIGIN_KEY: ("replay", event.id), CAPTURED_KEY: captured}
        await app(scope, receive, send)

    async with new_client(marked) as client:
        result = await deliver(client, request)
    replayed = next((e for e in captured if e.id is not None), None)
    return ReplayOutcome(replayed, result, request)


__all__ = ["LISTENER", "Edits", "ReplayError", "ReplayOutcome", "Resign", "build_replay", "forward_url", "reingest",
           "replay", "replay_url", "resign_settings"]
