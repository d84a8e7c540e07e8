"""Webhook signatures: sign and verify every common scheme, detect the scheme from the headers, and
explain an invalid signature by testing the usual causes.

    verify_request(SignedRequest(body, headers, url), scheme="github", secrets=["..."]) -> SignatureVerdict
    explain(SignedRequest(...), scheme="github", secrets=["..."]) -> Diagnosis  (never on a request path)
    sign_body(body, scheme="stripe", secret="whsec_...") -> [("Stripe-Signature", "t=...,v1=...")]
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hookdeck_tui.signatures.base import MalformedSignature, MissingSignature, Parsed, Scheme, SecretError
from hookdeck_tui.signatures.catalog import ALIASES, SCHEME_NAMES, SCHEMES, SECRET_ENV
from hookdeck_tui.signatures.notes import notes
from hookdeck_tui.signatures.registry import (
    SchemeError,
    SchemeOptions,
    canonical_name,
    detect,
    get_scheme,
    present,
)
from hookdeck_tui.signatures.request import SignedRequest
from hookdeck_tui.signatures.secrets import Secret
from hookdeck_tui.signatures.url_signed import NeedsUrl
from hookdeck_tui.signatures.verdict import DIAGNOSABLE, STATUSES, SignatureVerdict

if TYPE_CHECKING:  # imported on first use at run time (see __getattr__)
    from hookdeck_tui.signatures.diagnosis import Diagnosis, Limits, explain

__all__ = [
    "ALIASES",
    "DIAGNOSABLE",
    "SCHEMES",
    "SCHEME_NAMES",
    "SECRET_ENV",
    "STATUSES",
    "Diagnosis",
    "Limits",
    "NeedsUrl",
    "SchemeError",
    "SchemeOptions",
    "SignatureVerdict",
    "SignedRequest",
    "canonical_name",
    "detect",
    "explain",
    "get_scheme",
    "sign_body",
    "verify_request",
]


def __getattr__(name: str) -> object:
    """The diagnosis is imported when first used (it costs ~15 ms to import, and most commands never need it)."""
    if name in ("Diagnosis", "Limits", "explain"):
        from hookdeck_tui.signatures import diagnosis

        return getattr(diagnosis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def verify_request(request: SignedRequest, *, scheme: str | Scheme | None = None, secrets: Sequence[str] = (),
                   tolerance: float | None = None, now: float | None = None,
                   options: SchemeOptions | None = None, detected: bool = False,
                   unset: Sequence[str] = ()) -> SignatureVerdict:
    """The verdict for one request. Without `scheme`, the scheme is detected from the headers. Secrets are tried
    in order (rotation); comparison is constant-time. Never raises for anything the request contains.
    `scheme` may be a name or a configured Scheme (a listener builds each route's once); `detected` says the
    caller already detected it (the reason then says so). A secret from secrets.py is named by its source in the
    reason; `unset` names configured secrets that could not be used (`${env.NAME}` of an unset variable). Costs at
    most one HMAC per secret, valid or not: a mismatch is only marked `diagnosis: pending`, and `explain`
    computes the diagnosis where it is shown."""
    verdict = _verdict(request, scheme, secrets, tolerance, now, options, detected, unset)
    if verdict.status in DIAGNOSABLE and any(secrets) and verdict.scheme != "discord":
        verdict.details["diagnosis"] = "pending"
        if request.url and verdict.scheme in ("twilio", "square"):
            verdict.details["url"] = request.url  # what the diagnosis varies; not a secret
    return verdict


def _verdict(request: SignedRequest, scheme: str | Scheme | None, secrets: Sequence[str], tolerance: float | None,
             now: float | None, options: SchemeOptions | None, detected: bool,
             unset: Sequence[str]) -> SignatureVerdict:
    now = time.time() if now is None else now
    secrets = [s for s in secrets if s]
    chosen = (scheme if isinstance(scheme, Scheme) else get_scheme(scheme, options)) if scheme else detect(request)
    if chosen is None:
        return SignatureVerdict(None, "unchecked", "no signature header of a known scheme, and no scheme is "
                                                   "configured to require one")
    detected_note = " (detected)" if detected or not scheme else ""
    try:
        parsed = chosen.parse(request)
    except MissingSignature as exc:
        others = [s.name for s in present(request) if s.name != chosen.name]
        hint = f"; it carries {', '.join(others)} headers instead" if others else ""
        return SignatureVerdict(chosen.name, "missing", f"{exc}{hint}")
    except MalformedSignature as exc:
        return SignatureVerdict(chosen.name, "malformed", str(exc))
    details: dict[str, Any] = {"received": parsed.received}
    if parsed.timestamp is not None:
        details["timestamp"] = parsed.timestamp
        details["skew_seconds"] = round(now - parsed.timestamp, 3)
    not_set = "; ".join(f"secret {reference} is not set" for reference in unset)
    if not secrets and not_set:
        return SignatureVerdict(chosen.name, "unchecked", not_set, details)
    if not secrets:
        hint = f" (set verify.secret, --secret, or ${SECRET_ENV[chosen.name]})" if chosen.name in SECRET_ENV else ""
        return SignatureVerdict(chosen.name, "unchecked", f"signed as {chosen.name}{detected_note}, but no secret "
                                                          f"is configured to check it{hint}", details)
    matched, unusable = _first_match(chosen, parsed, request, secrets)
    if matched is None and unusable == "url":
        return SignatureVerdict(chosen.name, "unchecked", f"{chosen.name} signs the URL the provider called: set "
                                                          f"the public URL (verify.url, --url) to check it", details)
    if matched is not None:
        problem = _age_problem(chosen, parsed, tolerance, now)
        if problem:
            return SignatureVerdict(chosen.name, "expired", f"signature matches, but {problem}", details)
        secret = secrets[matched]
        which = f" using {secret.source}" if isinstance(secret, Secret) else \
            f" (secret {matched + 1} of {len(secrets)})" if len(secrets) > 1 else ""
        return SignatureVerdict(chosen.name, "valid", f"signature matches{detected_note}{which}", details)
    if unusable and unusable != "url":
        return SignatureVerdict(chosen.name, "invalid", f"the configured secret cannot be used: {unusable}", details)
    details["notes"] = notes(chosen, parsed, request, present(request), now)
    target = "the configured secret" if len(secrets) == 1 else f"any of the {len(secrets)} configured secrets"
    sources = [s.source for s in secrets if isinstance(s, Secret)]
    if len(sources) == len(secrets):
        target += f" ({', '.join(sources)})"
    reason = f"signature does not match {target}" + (f" ({not_set})" if not_set else "")
    return SignatureVerdict(chosen.name, "invalid", reason, details)


def sign_body(body: bytes, *, scheme: str, secret: str, timestamp: int | None = None, message_id: str | None = None,
              url: str | None = None, options: SchemeOptions | None = None) -> list[tuple[str, str]]:
    """The headers a sender of `scheme` would attach to `body`. Raises NeedsUrl (twilio, square without `url`),
    SecretError (a secret the scheme cannot use) or SchemeError."""
    chosen = get_scheme(scheme, options)
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    try:
        return chosen.sign(body, secret, timestamp=stamp, message_id=message_id, url=url)
    except ValueError as exc:
        raise SecretError(str(exc)) from exc


def _first_match(scheme: Scheme, parsed: Parsed, request: SignedRequest,
                 secrets: list[str]) -> tuple[int | None, str | None]:
    unusable = None
    for index, secret in enumerate(secrets):
        try:
            if scheme.matches(parsed, request.body, secret, request.url):
                return index, None
        except NeedsUrl:
            return None, "url"
        except SecretError as exc:
            unusable = str(exc)
    return None, unusable


def _age_problem(scheme: Scheme, parsed: Parsed, tolerance: float | None, now: float) -> str | None:
    limit = scheme.tolerance if tolerance is None else tolerance
    if limit is None or parsed.timestamp is None:
        return None
    age = now - parsed.timestamp
    if age > limit:
        return f"the timestamp is {age:.0f} s old (tolerance {limit:g} s): a replay of an old request?"
    if -age > limit and not scheme.past_only:
        return f"the timestamp is {-age:.0f} s in the future (tolerance {limit:g} s): is a clock off?"
    return None
