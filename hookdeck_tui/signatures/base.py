"""What every scheme shares: parsing a header into `Parsed`, computing the expected signature for a key, and
comparing in constant time. Subclasses say where their signature lives and what bytes are signed."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

from hookdeck_tui.signatures.request import SignedRequest

ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


class MissingSignature(Exception):
    """The scheme's signature header is absent."""


class MalformedSignature(Exception):
    """The header is there but cannot be read (bad encoding, missing timestamp, wrong shape)."""


class SecretError(Exception):
    """A configured secret cannot be a key for this scheme (e.g. `whsec_` followed by non-base64)."""


@dataclass
class Parsed:
    """What a signature header says: the signatures that count, and the timestamp/id they cover."""

    signatures: list[bytes]
    received: str  # the header value(s) as received, for "expected vs received"
    timestamp: float | None = None
    timestamp_text: str = ""  # exactly as signed (some schemes sign the text, not the number)
    message_id: str | None = None
    algorithm: str = "sha256"
    extra: dict[str, Any] = field(default_factory=dict)


class KeyedMac(Protocol):
    """What `hmac.HMAC` and OpenSSL's own HMAC object both offer."""

    def copy(self) -> KeyedMac: ...

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


@functools.lru_cache(maxsize=64)
def keyed_hmac(key: bytes, algorithm: str) -> KeyedMac:
    """An HMAC already keyed, to copy per request: with OpenSSL 3 a copy costs a third of a one-shot `hmac.digest`
    (which looks the algorithm up each time), and more so while another thread is busy. Kept in memory only.
    OpenSSL's HMAC object itself when the `hmac` module wraps one: the same copy/update/digest without a Python
    layer around each call (~1 us a request)."""
    mac = hmac.new(key, digestmod=algorithm)
    native: KeyedMac | None = getattr(mac, "_hmac", None)
    return native or mac


class Scheme:
    """Base of all schemes. `headers` are the names that identify the scheme (for auto-detection)."""

    name: str = ""
    headers: tuple[str, ...] = ()
    tolerance: float | None = None  # seconds; None: the scheme signs no timestamp
    past_only: bool = False  # True: a timestamp in the future never expires (Stripe, Paddle)
    needs_url: bool = False
    encoding: str = "hex"  # how the signature is written: hex | base64

    def detect(self, request: SignedRequest) -> bool:
        return any(request.has_header(name) for name in self.headers)

    def parse(self, request: SignedRequest) -> Parsed:
        raise NotImplementedError

    def key(self, secret: str) -> bytes:
        return secret.encode("utf-8")

    def signed_bytes(self, parsed: Parsed, body: bytes, url: str | None) -> bytes:
        return body

    def digest(self, parsed: Parsed, body: bytes, key: bytes, url: str | None) -> bytes:
        mac = keyed_hmac(key, parsed.algorithm).copy()
        mac.update(self.signed_bytes(parsed, body, url))
        return mac.digest()

    def matches_key(self, parsed: Parsed, body: bytes, key: bytes, url: str | None) -> bool:
        expected = self.digest(parsed, body, key, url)
        return any(hmac.compare_digest(expected, candidate) for candidate in parsed.signatures)

    def matches(self, parsed: Parsed, body: bytes, secret: str, url: str | None) -> bool:
        return self.matches_key(parsed, body, self.key(secret), url)

    def expected_text(self, parsed: Parsed, body: bytes, secret: str, url: str | None) -> str:
        """The header value a correct sender would have sent (shown next to what was received)."""
        return encode(self.digest(parsed, body, self.key(secret), url), self.encoding)

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        raise NotImplementedError


def decode(value: str, encoding: str, what: str) -> bytes:
    """Decode a written signature; a bad one is MalformedSignature naming `what`."""
    try:
        if encoding == "hex":
            return bytes.fromhex(value)
        return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise MalformedSignature(f"{what} is not valid {encoding}: `{_clip(value)}`") from exc


def encode(digest: bytes, encoding: str) -> str:
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode("ascii")


def require(request: SignedRequest, name: str, scheme: str) -> str:
    value = request.header(name)
    if value is None:
        raise MissingSignature(f"no {name} header: the request is not signed as {scheme}")
    return value.strip()


def parse_int_timestamp(text: str, what: str) -> float:
    try:
        return float(int(text.strip()))
    except ValueError as exc:
        raise MalformedSignature(f"{what} is not a Unix timestamp: `{_clip(text)}`") from exc


def expand_template(template: str, body: bytes, *, timestamp: str = "", message_id: str = "",
                    url: str = "") -> bytes:
    """Fill a signed-content template such as `{timestamp}.{body}`; `{body}` is the raw bytes, untouched."""
    out = b""
    rest = template
    while rest:
        start = rest.find("{")
        end = rest.find("}", start)
        if start < 0 or end < 0:
            out += rest.encode("utf-8")
            break
        out += rest[:start].encode("utf-8")
        name = rest[start + 1:end]
        values = {"body": body, "timestamp": timestamp.encode(), "id": message_id.encode(), "url": url.encode()}
        if name not in values:
            raise ValueError(f"unknown placeholder {{{name}}} in signed content (use body, timestamp, id, url)")
        out += values[name]
        rest = rest[end + 1:]
    return out


def new_message_id() -> str:
    return f"msg_{secrets.token_hex(12)}"


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
