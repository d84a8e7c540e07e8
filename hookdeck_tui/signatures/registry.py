"""Scheme lookup by name (with aliases) and auto-detection from the headers present."""

from __future__ import annotations

from dataclasses import dataclass

from hookdeck_tui.signatures.base import Scheme
from hookdeck_tui.signatures.body_hmac import GenericHmac, GitHub, Linear, ModelRiver, Shopify
from hookdeck_tui.signatures.catalog import ALIASES, SCHEMES
from hookdeck_tui.signatures.ed25519 import Discord
from hookdeck_tui.signatures.request import SignedRequest
from hookdeck_tui.signatures.timestamped import Paddle, Slack, StandardWebhooks, Stripe, Twitch
from hookdeck_tui.signatures.url_signed import Square, Twilio


class SchemeError(ValueError):
    """An unknown scheme name, or options a scheme cannot work with (no header for `hmac`, a bad template)."""


@dataclass
class SchemeOptions:
    """Settings for the configurable schemes (generic `hmac`; `modelriver`'s signed content)."""

    header: str | None = None
    algorithm: str = "sha256"
    encoding: str = "hex"
    prefix: str = ""
    signed_content: str | None = None
    timestamp_header: str | None = None

    @classmethod
    def of(cls, source: object) -> SchemeOptions:
        """From anything with these attributes (a config `verify:` block, parsed CLI arguments)."""
        return cls(**{name: getattr(source, name) for name in cls.__dataclass_fields__
                      if getattr(source, name, None) is not None})


_SIMPLE: dict[str, type[Scheme]] = {
    "github": GitHub, "stripe": Stripe, "slack": Slack, "shopify": Shopify, "twilio": Twilio, "paddle": Paddle,
    "linear": Linear, "twitch": Twitch, "square": Square, "discord": Discord,
}
# Most specific first: a request can carry several families' headers, and the first found is the guess.
_DETECTION: tuple[Scheme, ...] = (StandardWebhooks(), Stripe(), Slack(), GitHub(), Twitch(), Paddle(), Linear(),
                                  Shopify(), Twilio(), Square(), Discord(), ModelRiver())


def canonical_name(name: str) -> str:
    lowered = name.strip().lower()
    resolved = ALIASES.get(lowered, lowered)
    if resolved not in SCHEMES:
        raise SchemeError(f"unknown signature scheme `{name}` (known: {', '.join(SCHEMES)}; aliases: "
                            f"{', '.join(ALIASES)})")
    return resolved


def get_scheme(name: str, options: SchemeOptions | None = None) -> Scheme:
    options = options or SchemeOptions()
    resolved = canonical_name(name)
    try:
        if resolved == "hmac":
            if not options.header:
                raise SchemeError("the generic `hmac` scheme needs the name of its signature header")
            return GenericHmac(options.header, options.algorithm, options.encoding, options.prefix,
                               options.signed_content or "{body}", options.timestamp_header)
        if resolved == "modelriver":
            return ModelRiver(options.signed_content or "{body}")
    except SchemeError:
        raise
    except ValueError as exc:
        raise SchemeError(str(exc)) from exc
    if resolved == "standard-webhooks":
        return StandardWebhooks("svix" if name.strip().lower() == "svix" else "webhook")
    return _SIMPLE[resolved]()


def detect(request: SignedRequest) -> Scheme | None:
    return next((scheme for scheme in _DETECTION if scheme.detect(request)), None)


def present(request: SignedRequest) -> list[Scheme]:
    """Every known scheme whose headers the request carries."""
    return [scheme for scheme in _DETECTION if scheme.detect(request)]
