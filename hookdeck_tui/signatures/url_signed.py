"""Schemes that sign the URL the provider called, so a proxy or tunnel that changes the scheme, host or port breaks
them: Twilio and Square. They need the public URL (`verify.url`, `--url`)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from hookdeck_tui.signatures.base import MalformedSignature, Parsed, Scheme, decode, encode, require
from hookdeck_tui.signatures.request import SignedRequest


class NeedsUrl(Exception):
    """The scheme signs the URL and none is known."""


class Twilio(Scheme):
    """`X-Twilio-Signature`: base64 HMAC-SHA1 of the URL followed by the form parameters sorted by name (name then
    value). JSON bodies: the URL carries `bodySHA256=<hex sha256 of body>` and the URL alone is signed."""

    name = "twilio"
    headers = ("X-Twilio-Signature",)
    needs_url = True
    encoding = "base64"

    def parse(self, request: SignedRequest) -> Parsed:
        raw = require(request, "X-Twilio-Signature", self.name)
        return Parsed([decode(raw, "base64", "X-Twilio-Signature")], raw, algorithm=_twilio_algorithm(request))

    def signed_bytes(self, parsed: Parsed, body: bytes, url: str | None) -> bytes:
        if url is None:
            raise NeedsUrl()
        query = dict(parse_qsl(urlsplit(url).query))
        if "bodySHA256" in query:
            return url.encode() if hashlib.sha256(body).hexdigest() == query["bodySHA256"] else b"\x00mismatch"
        return (url + "".join(k + v for k, v in sorted(_form(body)))).encode()

    def matches_key(self, parsed: Parsed, body: bytes, key: bytes, url: str | None) -> bool:
        """As Twilio's own validator: the URL as given, without its port, and with the default port added."""
        if url is None:
            raise NeedsUrl()
        return any(super(Twilio, self).matches_key(parsed, body, key, candidate) for candidate in _port_forms(url))

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        if url is None:
            raise NeedsUrl()
        parsed = Parsed([], "", algorithm="sha1")
        return [("X-Twilio-Signature", encode(self.digest(parsed, body, secret.encode(), url), "base64"))]


class Square(Scheme):
    """`x-square-hmacsha256-signature`: base64 HMAC-SHA256 of notification URL + body (the legacy
    `x-square-signature` is HMAC-SHA1 of the same)."""

    name = "square"
    headers = ("x-square-hmacsha256-signature", "x-square-signature")
    needs_url = True
    encoding = "base64"

    def parse(self, request: SignedRequest) -> Parsed:
        for header, algorithm in (("x-square-hmacsha256-signature", "sha256"), ("x-square-signature", "sha1")):
            raw = request.header(header)
            if raw is not None:
                return Parsed([decode(raw.strip(), "base64", header)], raw.strip(), algorithm=algorithm)
        require(request, "x-square-hmacsha256-signature", self.name)
        raise MalformedSignature("unreachable")

    def signed_bytes(self, parsed: Parsed, body: bytes, url: str | None) -> bytes:
        if url is None:
            raise NeedsUrl()
        return url.encode() + body

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        if url is None:
            raise NeedsUrl()
        return [("x-square-hmacsha256-signature",
                 encode(hmac.new(secret.encode(), url.encode() + body, "sha256").digest(), "base64"))]


def _twilio_algorithm(request: SignedRequest) -> str:
    """HMAC-SHA1, or what `X-Twilio-Webhooks-Signature-Settings: key=...,algorithm=HMAC_SHA256` names (a webhook
    signed with a shared key), as Twilio's own validator reads it."""
    for part in (request.header("X-Twilio-Webhooks-Signature-Settings") or "").split(","):
        name, _, value = part.partition("=")
        if name.strip() == "algorithm" and value.strip().upper() == "HMAC_SHA256":
            return "sha256"
    return "sha1"


def _form(body: bytes) -> list[tuple[str, str]]:
    """Form parameters of the body; a JSON (or non-UTF-8) body has none."""
    if body.lstrip()[:1] in (b"{", b"["):
        return []
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return []


def _port_forms(url: str) -> list[str]:
    """`url` as Twilio's own validator tries it: with any port removed, and with the scheme's default port written
    out when there is none (parity: a request its library accepts is accepted here)."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if default is None or parts.hostname is None:
        return [url]
    userinfo = parts.netloc.rpartition("@")[0]
    host = (userinfo + "@" if userinfo else "") + (f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname)
    bare = urlunsplit(parts._replace(netloc=host))
    if parts.port is None:
        return [url, urlunsplit(parts._replace(netloc=f"{host}:{default}"))]
    return [url, bare]
