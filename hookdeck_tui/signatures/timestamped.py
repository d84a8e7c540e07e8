"""Schemes whose signature covers a timestamp (and sometimes a message id), so replays age out: Stripe, Slack,
Standard Webhooks (and Svix), Paddle, Twitch."""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import UTC, datetime

from hookdeck_tui.signatures.base import (
    MalformedSignature,
    Parsed,
    Scheme,
    SecretError,
    decode,
    encode,
    new_message_id,
    parse_int_timestamp,
    require,
)
from hookdeck_tui.signatures.request import SignedRequest


def _stamp_and_signatures(raw: str, separator: str, stamp_key: str, signature_key: str, header: str,
                          hint: str = "") -> tuple[str, list[str]]:
    """Read `t=<ts>,v1=<sig>,...`-style headers: the first timestamp and every signature of the counted kind."""
    pairs = []
    for item in raw.split(separator):
        key, eq, value = item.strip().partition("=")
        if eq:
            pairs.append((key.strip(), value.strip()))
    stamps = [v for k, v in pairs if k == stamp_key]
    signatures = [v for k, v in pairs if k == signature_key]
    if not stamps:
        raise MalformedSignature(f"{header} has no `{stamp_key}=` timestamp: `{raw[:60]}`")
    if not signatures:
        raise MalformedSignature(f"{header} has no `{signature_key}=` signature{hint}")
    return stamps[0], signatures


class Stripe(Scheme):
    """`Stripe-Signature: t=<ts>,v1=<hex>[,v1=...]`; HMAC-SHA256 of `{t}.{body}` keyed with the whole secret
    (`whsec_...` as text). Only v1 counts; 300 s, and only a past timestamp expires (as Stripe's library)."""

    name = "stripe"
    headers = ("Stripe-Signature",)
    tolerance = 300.0
    past_only = True

    def parse(self, request: SignedRequest) -> Parsed:
        raw = require(request, "Stripe-Signature", self.name)
        stamp, v1 = _stamp_and_signatures(raw, ",", "t", "v1", "Stripe-Signature", " (only v1 counts; v0 is ignored)")
        signatures = []
        for value in v1:
            try:
                signatures.append(bytes.fromhex(value))
            except ValueError:
                continue  # a v1 that is not hex can never match; the others still may
        if not signatures:
            raise MalformedSignature("no `v1=` signature in Stripe-Signature is hex")
        return Parsed(signatures, raw, timestamp=parse_int_timestamp(stamp, "Stripe-Signature t"), timestamp_text=stamp)

    def signed_bytes(self, parsed: Parsed, body: bytes, url: str | None) -> bytes:
        return parsed.timestamp_text.encode() + b"." + body

    def expected_text(self, parsed: Parsed, body: bytes, secret: str, url: str | None) -> str:
        return f"t={parsed.timestamp_text},v1={super().expected_text(parsed, body, secret, url)}"

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, "sha256").hexdigest()
        return [("Stripe-Signature", f"t={timestamp},v1={digest}")]


class Slack(Scheme):
    """`X-Slack-Signature: v0=<hex>` of `v0:{X-Slack-Request-Timestamp}:{body}`; ±300 s."""

    name = "slack"
    headers = ("X-Slack-Signature",)
    tolerance = 300.0

    def parse(self, request: SignedRequest) -> Parsed:
        raw = require(request, "X-Slack-Signature", self.name)
        if not raw.startswith("v0="):
            raise MalformedSignature(f"X-Slack-Signature should look like `v0=<hex>`: `{raw[:40]}`")
        stamp = request.header("X-Slack-Request-Timestamp")
        if stamp is None:
            raise MalformedSignature("no X-Slack-Request-Timestamp header (the signature covers it)")
        return Parsed([decode(raw[3:], "hex", "X-Slack-Signature")], raw,
                      timestamp=parse_int_timestamp(stamp, "X-Slack-Request-Timestamp"), timestamp_text=stamp.strip())

    def signed_bytes(self, parsed: Parsed, body: bytes, url: str | None) -> bytes:
        return b"v0:" + parsed.timestamp_text.encode() + b":" + body

    def expected_text(self, parsed: Parsed, body: bytes, secret: str, url: str | None) -> str:
        return "v0=" + super().expected_text(parsed, body, secret, url)

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, "sha256").hexdigest()
        return [("X-Slack-Signature", f"v0={digest}"), ("X-Slack-Request-Timestamp", str(timestamp))]


class StandardWebhooks(Scheme):
    """Standard Webhooks / Svix: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> ...` (or the
    `svix-` names); HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed with the base64 after `whsec_`; ±300 s.
    Signatures of versions other than v1 are ignored."""

    name = "standard-webhooks"
    headers = ("webhook-signature", "svix-signature")
    tolerance = 300.0
    encoding = "base64"

    def __init__(self, header_prefix: str = "webhook") -> None:
        self.header_prefix = header_prefix  # what `sign` writes; `parse` reads either family

    def parse(self, request: SignedRequest) -> Parsed:
        prefix = "webhook" if request.has_header("webhook-signature") else "svix"
        raw = require(request, f"{prefix}-signature", self.name)
        message_id = request.header(f"{prefix}-id")
        stamp = request.header(f"{prefix}-timestamp")
        if message_id is None or stamp is None:
            missing = f"{prefix}-id" if message_id is None else f"{prefix}-timestamp"
            raise MalformedSignature(f"no {missing} header (the signature covers it)")
        signatures = []
        for entry in raw.split():
            version, comma, value = entry.partition(",")
            if version != "v1" or not comma:
                continue
            try:
                signatures.append(base64.b64decode(value, validate=True))
            except (ValueError, binascii.Error):
                continue
        if not signatures:
            raise MalformedSignature(f"{prefix}-signature has no `v1,<base64>` signature: `{raw[:60]}`")
        return Parsed(signatures, raw, timestamp=parse_int_timestamp(stamp, f"{prefix}-timestamp"),
                      timestamp_text=stamp.strip(), message_id=message_id.strip(), extra={"prefix": prefix})

    def key(self, secret: str) -> bytes:
        """As the official libraries read it (parity: a secret they accept works here): `whsec_` dropped, then
        base64 decoded leniently, so a trailing newline from a file or unpadded base64 still give the key."""
        text = secret.removeprefix("whsec_")
        try:
            key = base64.b64decode(text + "==")
        except (ValueError, binascii.Error) as exc:
            raise SecretError("a Standard Webhooks secret is base64 after `whsec_`, and this one is not") from exc
        if not key:
            raise SecretError("a Standard Webhooks secret is base64 after `whsec_`, and this one is empty")
        return key

    def signed_bytes(self, parsed: Parsed, body: bytes, url: str | None) -> bytes:
        return f"{parsed.message_id}.{parsed.timestamp_text}.".encode() + body

    def expected_text(self, parsed: Parsed, body: bytes, secret: str, url: str | None) -> str:
        return "v1," + super().expected_text(parsed, body, secret, url)

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        message_id = message_id or new_message_id()
        digest = hmac.new(self.key(secret), f"{message_id}.{timestamp}.".encode() + body, "sha256").digest()
        p = self.header_prefix
        return [(f"{p}-id", message_id), (f"{p}-timestamp", str(timestamp)),
                (f"{p}-signature", "v1," + encode(digest, "base64"))]


class Paddle(Scheme):
    """`Paddle-Signature: ts=<ts>;h1=<hex>[;h1=...]` of `{ts}:{body}`; 5 s, past only (Paddle's SDK default)."""

    name = "paddle"
    headers = ("Paddle-Signature",)
    tolerance = 5.0
    past_only = True

    def parse(self, request: SignedRequest) -> Parsed:
        raw = require(request, "Paddle-Signature", self.name)
        stamp, h1 = _stamp_and_signatures(raw, ";", "ts", "h1", "Paddle-Signature")
        return Parsed([decode(v, "hex", "Paddle-Signature h1") for v in h1], raw,
                      timestamp=parse_int_timestamp(stamp, "Paddle-Signature ts"), timestamp_text=stamp)

    def signed_bytes(self, parsed: Parsed, body: bytes, url: str | None) -> bytes:
        return parsed.timestamp_text.encode() + b":" + body

    def expected_text(self, parsed: Parsed, body: bytes, secret: str, url: str | None) -> str:
        return f"ts={parsed.timestamp_text};h1={super().expected_text(parsed, body, secret, url)}"

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        digest = hmac.new(secret.encode(), f"{timestamp}:".encode() + body, "sha256").hexdigest()
        return [("Paddle-Signature", f"ts={timestamp};h1={digest}")]


class Twitch(Scheme):
    """EventSub: `Twitch-Eventsub-Message-Signature: sha256=<hex>` of id + timestamp (RFC 3339 text) + body;
    10 minutes."""

    name = "twitch"
    headers = ("Twitch-Eventsub-Message-Signature",)
    tolerance = 600.0

    def parse(self, request: SignedRequest) -> Parsed:
        raw = require(request, "Twitch-Eventsub-Message-Signature", self.name)
        if not raw.startswith("sha256="):
            raise MalformedSignature(f"Twitch-Eventsub-Message-Signature should look like `sha256=<hex>`: "
                                     f"`{raw[:40]}`")
        message_id = request.header("Twitch-Eventsub-Message-Id")
        stamp = request.header("Twitch-Eventsub-Message-Timestamp")
        if message_id is None or stamp is None:
            missing = "Twitch-Eventsub-Message-Id" if message_id is None else "Twitch-Eventsub-Message-Timestamp"
            raise MalformedSignature(f"no {missing} header (the signature covers it)")
        return Parsed([decode(raw[7:], "hex", "Twitch-Eventsub-Message-Signature")], raw,
                      timestamp=_rfc3339(stamp.strip()), timestamp_text=stamp.strip(), message_id=message_id.strip())

    def signed_bytes(self, parsed: Parsed, body: bytes, url: str | None) -> bytes:
        return (parsed.message_id or "").encode() + parsed.timestamp_text.encode() + body

    def expected_text(self, parsed: Parsed, body: bytes, secret: str, url: str | None) -> str:
        return "sha256=" + super().expected_text(parsed, body, secret, url)

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        message_id = message_id or new_message_id()
        stamp = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.000000000Z")
        digest = hmac.new(secret.encode(), message_id.encode() + stamp.encode() + body, "sha256").hexdigest()
        return [("Twitch-Eventsub-Message-Id", message_id), ("Twitch-Eventsub-Message-Timestamp", stamp),
                ("Twitch-Eventsub-Message-Signature", f"sha256={digest}"),
                ("Twitch-Eventsub-Message-Type", "notification")]


def _rfc3339(text: str) -> float:
    """Twitch writes nanoseconds; Python reads at most microseconds."""
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise MalformedSignature(f"Twitch-Eventsub-Message-Timestamp is not an RFC 3339 time: `{text[:40]}`") from exc
