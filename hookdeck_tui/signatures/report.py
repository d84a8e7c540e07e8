"""Where a diagnosis is shown (`hooktui verify`, `hooktui show`, the console), computed for a verdict marked
`diagnosis: pending`, and written the same way everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hookdeck_tui.signatures.catalog import SECRET_ENV
from hookdeck_tui.signatures.request import SignedRequest
from hookdeck_tui.signatures.secrets import environment_secrets
from hookdeck_tui.signatures.verdict import SignatureVerdict

if TYPE_CHECKING:  # the diagnosis is a dozen modules: loaded when one is computed, not where one is shown
    from hookdeck_tui.signatures.diagnosis import Diagnosis, Limits

_LABELS = {"likely": "likely:", "also": "also valid:", "none": "diagnosis:", "ruled out": "ruled out:",
           "not tried": "not tried:", "left": "left:"}


def env_candidates(scheme: str | None, used: Sequence[str]) -> list[tuple[str, str]]:
    """The environment's secrets for the scheme not among `used`, as (their variable, the value — never shown)."""
    return [(secret.source, str(secret)) for secret in environment_secrets(scheme) if secret not in used]


def diagnose_verdict(verdict: SignatureVerdict | None, request: SignedRequest, *, scheme: Any = None,
                     secrets: Sequence[str] = (), candidates: Sequence[tuple[str, str]] = (), options: Any = None,
                     now: float | None = None, tolerance: float | None = None,
                     limits: Limits | None = None) -> Diagnosis | None:
    """The diagnosis of a verdict that can have one, or None (valid, unchecked, nothing to test with)."""
    from hookdeck_tui.signatures.diagnosis import DIAGNOSABLE, explain

    if verdict is None or verdict.status not in DIAGNOSABLE or not any(secrets):
        return None
    if request.url is None and verdict.details.get("url"):
        request = SignedRequest(request.body, request.headers, verdict.details["url"])
    return explain(request, scheme=scheme or verdict.scheme, secrets=secrets, candidates=candidates, verdict=verdict,
                   options=options, now=now, tolerance=tolerance, limits=limits)


def diagnosis_lines(diagnosis: Diagnosis, *, headline: bool = True) -> list[str]:
    """`label  text` lines for a terminal: the likeliest cause first, or what was ruled out and what is left."""
    return [f"{_LABELS[kind]:<10} {text}" for kind, text in diagnosis.lines() if headline or kind != "none"]


def pending_hint(verdict: SignatureVerdict | None) -> str | None:
    """What to say where a pending diagnosis cannot be computed (no secret here)."""
    if verdict is None or verdict.details.get("diagnosis") != "pending":
        return None
    variable = SECRET_ENV.get(verdict.scheme or "")
    where = f"${variable} or $HOOKTUI_SECRET" if variable else "$HOOKTUI_SECRET"
    return f"diagnosis: pending — set {where} to compute it here, or run `hooktui verify` with the secret"
