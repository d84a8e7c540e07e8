"""Signing a request again: which headers a scheme's sender sets (they are dropped first), and a fresh signature
over a body. Replays that re-sign, the forge and the probe's variants share it."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable

from hookdeck_tui.signatures import SchemeOptions, get_scheme, sign_body
from hookdeck_tui.signatures.secrets import environment_secrets


def secret_for(scheme: str, given: str | None) -> str | None:
    """--secret, else $HOOKTUI_SECRET, else the provider's conventional variable (e.g. $STRIPE_WEBHOOK_SECRET)."""
    return given or next(iter(environment_secrets(scheme)), None)


def default_secret(scheme: str, defaults: Iterable[str]) -> str | None:
    """The first default secret (--secret, $HOOKTUI_SECRET) that applies to `scheme` (canonical): one scoped to
    another scheme does not."""
    return next((s for s in defaults if getattr(s, "scheme", None) in (None, scheme)), None)


def signature_header_names(scheme: str, options: SchemeOptions | None = None) -> set[str]:
    """Every header a sender of `scheme` sets to sign (lowercase): they are dropped before re-signing."""
    chosen = get_scheme(scheme, options)
    names = {h.lower() for h in chosen.headers}
    probe_secret = secrets.token_hex(32) if scheme == "discord" else "whsec_" + base64.b64encode(b"x" * 24).decode()
    try:
        names |= {n.lower() for n, _ in chosen.sign(b"{}", probe_secret, timestamp=0, message_id="msg_probe",
                                                    url="http://127.0.0.1/")}
    except ValueError:
        pass
    return names


def replace_signature(headers: list[tuple[str, str]], body: bytes, scheme: str, secret: str, timestamp: int,
                      message_id: str | None, url: str | None,
                      options: SchemeOptions | None = None) -> list[tuple[str, str]]:
    """`headers` without any previous signature of `scheme`, plus a fresh one over `body`."""
    drop = signature_header_names(scheme, options)
    kept = [(k, v) for k, v in headers if k.lower() not in drop]
    return kept + sign_body(body, scheme=scheme, secret=secret, timestamp=timestamp, message_id=message_id,
                            url=url, options=options)
