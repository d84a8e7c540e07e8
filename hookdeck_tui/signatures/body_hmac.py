"""Schemes that sign the raw body alone (or a template around it): ModelRiver, GitHub, Shopify, Linear, and the
generic `hmac` scheme whose header, algorithm, encoding, prefix and signed content are configurable."""

from __future__ import annotations

import hmac
import json
import re

from hookdeck_tui.signatures.base import (
    ALGORITHMS,
    MalformedSignature,
    Parsed,
    Scheme,
    decode,
    encode,
    expand_template,
    parse_int_timestamp,
    require,
)
from hookdeck_tui.signatures.request import SignedRequest

_SPLIT = re.compile(r"[,\s]+")


class GenericHmac(Scheme):
    """`header: <prefix><hex|base64 HMAC of signed_content>`; with `{timestamp}` in the template the timestamp
    comes from `timestamp_header` and a 300 s tolerance applies."""

    name = "hmac"

    def __init__(self, header: str = "X-Signature", algorithm: str = "sha256", encoding: str = "hex",
                 prefix: str = "", signed_content: str = "{body}", timestamp_header: str | None = None) -> None:
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}")
        self.header = header
        self.headers = (header,)
        self.algorithm = algorithm
        self.encoding = encoding
        self.prefix = prefix
        self.signed_content = signed_content or "{body}"
        self.timestamp_header = timestamp_header
        self.tolerance = 300.0 if "{timestamp}" in self.signed_content else None
        expand_template(self.signed_content, b"")  # reject unknown placeholders early

    def parse(self, request: SignedRequest) -> Parsed:
        raw = require(request, self.header, self.name)
        signatures = []
        if self.encoding == "hex":
            parts = _SPLIT.split(raw) if ("," in raw or " " in raw) else [raw]
        else:
            parts = raw.split()
        for part in parts:
            if not part:
                continue
            if self.prefix and not part.startswith(self.prefix):
                raise MalformedSignature(f"{self.header} should start with `{self.prefix}`: `{part[:40]}`")
            signatures.append(decode(part[len(self.prefix):], self.encoding, self.header))
        if not signatures:
            raise MalformedSignature(f"{self.header} is empty")
        parsed = Parsed(signatures, raw, algorithm=self.algorithm)
        if "{timestamp}" in self.signed_content:
            name = self.timestamp_header or "X-Timestamp"
            text = request.header(name)
            if text is None:
                raise MalformedSignature(f"no {name} header, but the signed content includes {{timestamp}}")
            parsed.timestamp = parse_int_timestamp(text, name)
            parsed.timestamp_text = text.strip()
        return parsed

    def signed_bytes(self, parsed: Parsed, body: bytes, url: str | None) -> bytes:
        if self.signed_content == "{body}":
            return body
        return expand_template(self.signed_content, body, timestamp=parsed.timestamp_text, url=url or "")

    def expected_text(self, parsed: Parsed, body: bytes, secret: str, url: str | None) -> str:
        return self.prefix + super().expected_text(parsed, body, secret, url)

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        signed = expand_template(self.signed_content, body, timestamp=str(timestamp), message_id=message_id or "",
                                 url=url or "")
        digest = hmac.new(secret.encode("utf-8"), signed, ALGORITHMS[self.algorithm]).digest()
        headers = [(self.header, self.prefix + encode(digest, self.encoding))]
        if "{timestamp}" in self.signed_content:
            headers.append((self.timestamp_header or "X-Timestamp", str(timestamp)))
        return headers


class ModelRiver(GenericHmac):
    """`mr-signature`: lowercase hex HMAC-SHA256 of the raw body. Signing a ModelRiver event also
    sets `mr-timestamp` and `mr-channel-id`: hooktui's additions, which no integration guide reads."""

    name = "modelriver"

    def __init__(self, signed_content: str = "{body}") -> None:
        super().__init__("mr-signature", "sha256", "hex", "", signed_content, "mr-timestamp")
        self.headers = ("mr-signature",)

    def parse(self, request: SignedRequest) -> Parsed:
        raw = (request.header("mr-signature") or "").strip()
        if raw.lower().startswith("sha256="):  # tolerate the GitHub-style prefix some senders add
            headers = [(k, v.strip()[7:] if k.lower() == "mr-signature" else v) for k, v in request.headers]
            request = SignedRequest(request.body, headers, request.url)
        return super().parse(request)

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        headers = [h for h in super().sign(body, secret, timestamp=timestamp, message_id=message_id, url=url)
                   if h[0] != "mr-timestamp"]
        headers.append(("mr-timestamp", str(timestamp)))
        channel = _json_field(body, "channel_id") or message_id
        if channel:
            headers.append(("mr-channel-id", str(channel)))
        return headers


class GitHub(Scheme):
    """`X-Hub-Signature-256: sha256=<hex>`; the legacy `X-Hub-Signature: sha1=<hex>` when it is the only one."""

    name = "github"
    headers = ("X-Hub-Signature-256", "X-Hub-Signature")

    def parse(self, request: SignedRequest) -> Parsed:
        for header, algorithm in (("X-Hub-Signature-256", "sha256"), ("X-Hub-Signature", "sha1")):
            raw = request.header(header)
            if raw is None:
                continue
            raw = raw.strip()
            prefix = f"{algorithm}="
            if not raw.startswith(prefix):
                raise MalformedSignature(f"{header} should look like `{prefix}<hex>`: `{raw[:40]}`")
            parsed = Parsed([decode(raw[len(prefix):], "hex", header)], raw, algorithm=algorithm)
            parsed.extra["header"] = header
            return parsed
        require(request, "X-Hub-Signature-256", self.name)
        raise AssertionError("unreachable")

    def expected_text(self, parsed: Parsed, body: bytes, secret: str, url: str | None) -> str:
        return f"{parsed.algorithm}={super().expected_text(parsed, body, secret, url)}"

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        key = secret.encode("utf-8")
        return [("X-Hub-Signature-256", "sha256=" + hmac.new(key, body, "sha256").hexdigest()),
                ("X-Hub-Signature", "sha1=" + hmac.new(key, body, "sha1").hexdigest())]


class Shopify(Scheme):
    """`X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body."""

    name = "shopify"
    headers = ("X-Shopify-Hmac-Sha256",)
    encoding = "base64"

    def parse(self, request: SignedRequest) -> Parsed:
        raw = require(request, "X-Shopify-Hmac-Sha256", self.name)
        return Parsed([decode(raw, "base64", "X-Shopify-Hmac-Sha256")], raw)

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        return [("X-Shopify-Hmac-Sha256", encode(hmac.new(secret.encode(), body, "sha256").digest(), "base64"))]


class Linear(Scheme):
    """`Linear-Signature`: hex HMAC-SHA256 of the body; the body's `webhookTimestamp` (ms) must be within 60 s."""

    name = "linear"
    headers = ("Linear-Signature",)
    tolerance = 60.0

    def parse(self, request: SignedRequest) -> Parsed:
        raw = require(request, "Linear-Signature", self.name)
        parsed = Parsed([decode(raw, "hex", "Linear-Signature")], raw)
        stamp = _json_field(request.body, "webhookTimestamp")
        if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
            parsed.timestamp = stamp / 1000
        return parsed

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        return [("Linear-Signature", hmac.new(secret.encode(), body, "sha256").hexdigest())]


def _json_field(body: bytes, name: str) -> object:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: a body nested ~1,000 deep
        return None
    return data.get(name) if isinstance(data, dict) else None
