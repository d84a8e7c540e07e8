"""Keys the sender may have used instead of the configured secret as configured: the same secret with the
whitespace or quotes a file or a paste adds, `whsec_` kept, stripped or decoded, a hex or base64 secret decoded or
used as text. Yielded as (cause id, what happened, key bytes); the caller recomputes the signature with each."""

from __future__ import annotations

import base64
import binascii
import re
import string
from collections.abc import Iterator

from hookdeck_tui.signatures.base import Scheme, SecretError

_HEX = re.compile(r"[0-9a-fA-F]+")
_B64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


def secret_variants(scheme: Scheme, secret: str) -> Iterator[tuple[str, str, bytes]]:
    trimmed = secret.strip()
    if trimmed != secret:
        yield from _as_key(scheme, "secret.whitespace", "the configured secret has whitespace around it (a newline "
                                                        "from a file or a paste?); the sender used it trimmed", trimmed)
    unquoted = trimmed.strip("\"'")
    if unquoted != trimmed:
        yield from _as_key(scheme, "secret.quotes", "the configured secret kept the quotes around it in the .env or "
                                                    "config file; the sender's secret has none", unquoted)
    secret = unquoted
    if scheme.name == "standard-webhooks":
        yield ("secret.whsec_encoding", "the sender used the `whsec_` secret as text instead of base64-decoding the "
                                        "part after `whsec_`", secret.encode())
        if secret.startswith("whsec_"):
            yield ("secret.whsec_encoding", "the sender used the part after `whsec_` as text instead of "
                                            "base64-decoding it", secret.removeprefix("whsec_").encode())
        return
    if secret.startswith("whsec_"):
        yield ("secret.whsec_prefix", "the sender's secret is the configured one without its `whsec_` prefix",
               secret[6:].encode())
        decoded = _b64(secret[6:])
        if decoded:
            yield ("secret.whsec_encoding", "the sender base64-decoded the `whsec_` secret (as Standard Webhooks and "
                                            "Svix do) instead of using it as text", decoded)
    elif scheme.name == "stripe":
        yield ("secret.whsec_prefix", "the sender's secret starts with `whsec_` and the configured one lacks that "
                                      "prefix", ("whsec_" + secret).encode())
    if len(secret) >= 16 and len(secret) % 2 == 0 and _HEX.fullmatch(secret):
        yield ("secret.encoding", "the sender hex-decoded the secret and used the bytes as the key; the configured "
                                  "one is used as text", bytes.fromhex(secret))
    decoded = _b64(secret) if len(secret) >= 16 and not set(secret) <= set(string.hexdigits) else None
    if decoded:
        yield ("secret.encoding", "the sender base64-decoded the secret and used the bytes as the key; the "
                                  "configured one is used as text", decoded)


def _as_key(scheme: Scheme, cause: str, text: str, secret: str) -> Iterator[tuple[str, str, bytes]]:
    try:
        yield cause, text, scheme.key(secret)
    except SecretError:
        pass


def _b64(text: str) -> bytes | None:
    if not _B64.fullmatch(text):
        return None
    try:
        padded = text + "=" * (-len(text) % 4)
        return base64.b64decode(padded, altchars=b"-_" if ("-" in text or "_" in text) else None, validate=True)
    except (ValueError, binascii.Error):
        return None
