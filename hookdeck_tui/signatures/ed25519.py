"""Discord: an Ed25519 signature (`X-Signature-Ed25519`, hex) of `X-Signature-Timestamp` + body. Verifying uses the
application's public key (hex); signing uses a private key (the 32-byte seed, hex)."""

from __future__ import annotations

# cryptography is imported where a Discord signature is checked or made: it costs ~30 ms at every start otherwise
from hookdeck_tui.signatures.base import MalformedSignature, Parsed, Scheme, SecretError, decode, require
from hookdeck_tui.signatures.request import SignedRequest


class Discord(Scheme):
    name = "discord"
    headers = ("X-Signature-Ed25519",)

    def parse(self, request: SignedRequest) -> Parsed:
        raw = require(request, "X-Signature-Ed25519", self.name)
        stamp = request.header("X-Signature-Timestamp")
        if stamp is None:
            raise MalformedSignature("no X-Signature-Timestamp header (the signature covers it)")
        signature = decode(raw, "hex", "X-Signature-Ed25519")
        if len(signature) != 64:
            raise MalformedSignature(f"X-Signature-Ed25519 is {len(signature)} bytes; an Ed25519 signature is 64")
        return Parsed([signature], raw, timestamp_text=stamp.strip())

    def key(self, secret: str) -> bytes:
        try:
            key = bytes.fromhex(secret.strip())
        except ValueError as exc:
            raise SecretError("a Discord public key is 64 hex characters") from exc
        if len(key) != 32:
            raise SecretError(f"a Discord public key is 32 bytes (64 hex characters), not {len(key)}")
        return key

    def signed_bytes(self, parsed: Parsed, body: bytes, url: str | None) -> bytes:
        return parsed.timestamp_text.encode() + body

    def matches_key(self, parsed: Parsed, body: bytes, key: bytes, url: str | None) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        public = Ed25519PublicKey.from_public_bytes(key)
        try:
            public.verify(parsed.signatures[0], self.signed_bytes(parsed, body, url))
        except InvalidSignature:
            return False
        return True

    def expected_text(self, parsed: Parsed, body: bytes, secret: str, url: str | None) -> str:
        return "(an Ed25519 signature can only be made with the private key)"

    def sign(self, body: bytes, secret: str, *, timestamp: int, message_id: str | None,
             url: str | None) -> list[tuple[str, str]]:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        private = Ed25519PrivateKey.from_private_bytes(self.key(secret))
        signature = private.sign(str(timestamp).encode() + body)
        return [("X-Signature-Ed25519", signature.hex()), ("X-Signature-Timestamp", str(timestamp))]


def public_key_of(private_hex: str) -> str:
    """The public key (hex) that verifies what `Discord.sign` made with `private_hex`."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex.strip()))
    return private.public_key().public_bytes_raw().hex()
