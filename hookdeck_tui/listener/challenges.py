"""The ownership handshakes providers send before they deliver anything, answered by capture listeners.

A provider will not send events to a URL until it answers a challenge; without this, every provider needs a
hand-written receiver before hooktui can capture its first event. Each handshake is recognised by its documented
shape, captured like any request, marked in `meta.challenge` (and in its route label), and answered only after
it is stored. Shapes, from each provider's documentation:

- Slack `url_verification`: POST JSON `{token, challenge, type}` → 200 text/plain `challenge`.
  https://api.slack.com/events/url_verification
- Meta (Facebook, WhatsApp, Instagram): GET `?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…` → 200
  `hub.challenge` when the token is the configured one, 403 otherwise.
  https://developers.facebook.com/docs/graph-api/webhooks/getting-started
- Zoom `endpoint.url_validation`: POST JSON `{event, payload: {plainToken}}` → 200 JSON `{plainToken,
  encryptedToken}`, the token's HMAC-SHA256 (hex) under the app's secret token.
  https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint
- Dropbox: GET `?challenge=…` → 200, the challenge echoed as text/plain with `X-Content-Type-Options: nosniff`.
  https://www.dropbox.com/developers/reference/webhooks
- Microsoft Graph: POST `?validationToken=…` → 200 text/plain, the URL-decoded token, within 10 s.
  https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks
- Twitch EventSub: `Twitch-Eventsub-Message-Type: webhook_callback_verification`, JSON `{challenge, subscription}`
  → 200 text/plain `challenge`. https://dev.twitch.tv/docs/eventsub/handling-webhook-events
- CloudEvents webhook abuse protection: OPTIONS with `WebHook-Request-Origin` → 200 with
  `WebHook-Allowed-Origin` (and `WebHook-Allowed-Rate`), `Allow: POST`.
  https://github.com/cloudevents/spec/blob/main/cloudevents/http-webhook.md#4-abuse-protection

Every echo is sent as text/plain with `nosniff`: the echoed value comes from the request, so a browser must never
render it as HTML. A signed handshake (Slack, Twitch) whose signature a configured secret proves wrong is refused
with 403, as the providers ask receivers to do.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from hookdeck_tui.bounds import loads_bounded
from hookdeck_tui.config.models import ChallengesConfig
from hookdeck_tui.listener.answer import Answer
from hookdeck_tui.signatures import SignatureVerdict
from hookdeck_tui.store import CapturedEvent

META_TOKEN_ENV = "META_VERIFY_TOKEN"
ZOOM_SECRET_ENV = "ZOOM_WEBHOOK_SECRET_TOKEN"
_LARGEST_HANDSHAKE = 64 * 1024  # handshakes are a few hundred bytes: a larger body is an event, never parsed here
_REFUSED_SIGNATURES = ("invalid", "expired")


@dataclass
class Handshake:
    provider: str
    kind: str
    answer: Answer
    answered: bool
    reason: str | None = None

    @property
    def label(self) -> str:
        return f"{self.provider} {self.kind}"

    def mark(self, event: CapturedEvent, route_label: str) -> None:
        """Record the handshake on the event, so the list and `hooktui show` tell it from a delivery."""
        record: dict[str, Any] = {"provider": self.provider, "kind": self.kind, "answered": self.answered}
        if self.reason:
            record["reason"] = self.reason
            event.error = f"{self.label} not answered: {self.reason}"
        event.meta = {**(event.meta or {}), "challenge": record}
        event.route = f"{route_label} · {self.label}"


def recognise(event: CapturedEvent, config: ChallengesConfig | None) -> Handshake | None:
    """The handshake `event` is, answered as its provider documents; None for anything else (the usual path)."""
    if config is None or not config.enabled or not _may_be_handshake(event):
        return None
    for provider, check in _CHECKS:
        if provider in config.disable:
            continue
        found = check(event, config)
        if found is not None:
            return found
    return None


def _may_be_handshake(event: CapturedEvent) -> bool:
    """A cheap first look (every captured request passes here): an OPTIONS, a query, or a small POST body that
    names a challenge. An ordinary delivery costs one substring search."""
    if event.method == "OPTIONS" or event.query:
        return True
    body = event.body
    return event.method == "POST" and len(body) <= _LARGEST_HANDSHAKE and \
        (b"challenge" in body or b"endpoint.url_validation" in body)


def _cloudevents(event: CapturedEvent, config: ChallengesConfig) -> Handshake | None:
    origin = event.header("WebHook-Request-Origin") if event.method == "OPTIONS" else None
    if not origin:
        return None
    headers = {"WebHook-Allowed-Origin": origin, "Allow": "POST, OPTIONS"}
    rate = event.header("WebHook-Request-Rate")
    headers["WebHook-Allowed-Rate"] = rate if rate and rate.strip().isdigit() else "*"
    return Handshake("cloudevents", "abuse-protection OPTIONS", Answer(200, b"", headers.items()), True)


def _meta(event: CapturedEvent, config: ChallengesConfig) -> Handshake | None:
    if event.method != "GET" or "hub.mode" not in event.query:
        return None
    query = _query(event)
    if query.get("hub.mode") != "subscribe" or "hub.challenge" not in query:
        return None
    expected = config.meta.verify_token or os.environ.get(META_TOKEN_ENV)
    given = query.get("hub.verify_token", "")
    if not expected:
        return _refused("meta", "subscribe", 403, f"no verify token is configured (challenges.meta.verify_token "
                                                  f"or ${META_TOKEN_ENV})")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return _refused("meta", "subscribe", 403, "hub.verify_token is not the configured verify token")
    return Handshake("meta", "subscribe", _echo(query["hub.challenge"]), True)


def _dropbox(event: CapturedEvent, config: ChallengesConfig) -> Handshake | None:
    if event.method != "GET" or "challenge" not in event.query:
        return None
    challenge = _query(event).get("challenge")
    return Handshake("dropbox", "challenge", _echo(challenge), True) if challenge is not None else None


def _graph(event: CapturedEvent, config: ChallengesConfig) -> Handshake | None:
    if event.method != "POST" or "validationToken" not in event.query:
        return None
    token = _query(event).get("validationToken")
    return Handshake("microsoft-graph", "validationToken", _echo(token), True) if token is not None else None


def _twitch(event: CapturedEvent, config: ChallengesConfig) -> Handshake | None:
    if event.header("Twitch-Eventsub-Message-Type") != "webhook_callback_verification":
        return None
    body = _json_object(event)
    challenge = body.get("challenge") if body else None
    if not isinstance(challenge, str):
        return None
    return _signed("twitch", "webhook_callback_verification", event.signature) or \
        Handshake("twitch", "webhook_callback_verification", _echo(challenge), True)


def _slack(event: CapturedEvent, config: ChallengesConfig) -> Handshake | None:
    if event.method != "POST" or len(event.body) > _LARGEST_HANDSHAKE or b"url_verification" not in event.body:
        return None
    body = _json_object(event)
    if not body or body.get("type") != "url_verification" or not isinstance(body.get("challenge"), str):
        return None
    return _signed("slack", "url_verification", event.signature) or \
        Handshake("slack", "url_verification", _echo(body["challenge"]), True)


def _zoom(event: CapturedEvent, config: ChallengesConfig) -> Handshake | None:
    if event.method != "POST" or len(event.body) > _LARGEST_HANDSHAKE or \
            b"endpoint.url_validation" not in event.body:
        return None
    body = _json_object(event)
    payload = body.get("payload") if body and body.get("event") == "endpoint.url_validation" else None
    plain = payload.get("plainToken") if isinstance(payload, dict) else None
    if not isinstance(plain, str):
        return None
    secret = config.zoom.secret or os.environ.get(ZOOM_SECRET_ENV)
    if not secret:
        return _refused("zoom", "endpoint.url_validation", 500, f"no secret token is configured "
                                                                f"(challenges.zoom.secret or ${ZOOM_SECRET_ENV})")
    encrypted = hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
    body_out = json.dumps({"plainToken": plain, "encryptedToken": encrypted}).encode()
    return Handshake("zoom", "endpoint.url_validation", Answer(200, body_out, (), "application/json"), True)


_CHECKS = (("cloudevents", _cloudevents), ("meta", _meta), ("dropbox", _dropbox), ("microsoft-graph", _graph),
           ("twitch", _twitch), ("slack", _slack), ("zoom", _zoom))


def _signed(provider: str, kind: str, verdict: SignatureVerdict | None) -> Handshake | None:
    """A refusal when a configured secret proves the handshake's signature wrong (a forged handshake)."""
    if verdict is not None and verdict.scheme == provider and verdict.status in _REFUSED_SIGNATURES:
        return _refused(provider, kind, 403, f"its signature is {verdict.status}: {verdict.reason}")
    return None


def _refused(provider: str, kind: str, status: int, reason: str) -> Handshake:
    body = json.dumps({"error": f"{provider} {kind} not answered", "detail": reason}).encode()
    return Handshake(provider, kind, Answer(status, body, (), "application/json"), False, reason)


def _echo(value: str) -> Answer:
    return Answer(200, value.encode(), {"Content-Type": "text/plain", "X-Content-Type-Options": "nosniff"}.items())


def _query(event: CapturedEvent) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(event.query, keep_blank_values=True).items()}


def _json_object(event: CapturedEvent) -> dict[str, Any] | None:
    if len(event.body) > _LARGEST_HANDSHAKE:
        return None
    try:
        value = loads_bounded(event.body)  # a handshake-looking body may still be nested past the recursion limit
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
