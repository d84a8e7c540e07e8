"""Why did a signature not match? Each usual cause is *tested*: the signature is recomputed under that cause, and
only the causes that would have made it valid are reported; when none does, the diagnosis says so, with what was
ruled out and what is left.

Never on a listener's request path: the listener stores the verdict and `diagnosis: pending`, and the diagnosis is
computed where it is shown (`hooktui verify`, `hooktui show`, the console's Signature tab in a worker thread), bounded
in body size and time; what a bound left untried is reported, not hidden.

    explain(request, scheme="github", secrets=["..."]) -> Diagnosis(causes=[Cause("json.html_escaped", ...)], ...)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hookdeck_tui.bounds import MAX_DEPTH, TooDeep, loads_bounded
from hookdeck_tui.signatures.base import Scheme, SecretError
from hookdeck_tui.signatures.cause_search import CLASSES, Cause, Limits, Search, dedupe, json_data, search_all
from hookdeck_tui.signatures.json_layouts import looks_js_rounded
from hookdeck_tui.signatures.request import SignedRequest
from hookdeck_tui.signatures.url_signed import NeedsUrl
from hookdeck_tui.signatures.verdict import DIAGNOSABLE, SignatureVerdict

__all__ = ["DIAGNOSABLE", "Cause", "Diagnosis", "Limits", "explain"]


@dataclass
class Diagnosis:
    """What a diagnosis found: the causes (likeliest first), how many variants it recomputed, the classes it ruled
    out, what a bound left untried, and what is left when nothing explains the mismatch."""

    causes: list[Cause] = field(default_factory=list)
    tested: int = 0
    ruled_out: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    expected: str | None = None
    seconds: float = 0.0

    @property
    def headline(self) -> str:
        if self.causes:
            return f"likely: {self.causes[0].text}"
        if not self.tested:
            return "not diagnosed: " + ("; ".join(self.skipped) or "nothing to test")
        return f"none of the {self.tested} causes tested explains it"

    def lines(self) -> list[tuple[str, str]]:
        """(kind, text) lines for a terminal or the console: likely, also, ruled out, skipped, left."""
        out: list[tuple[str, str]] = []
        for index, cause in enumerate(self.causes):
            out.append(("likely" if index == 0 else "also", f"{cause.text} [{'+'.join(cause.ids)}]"))
        if not self.causes:
            out.append(("none", self.headline))
            out += [("ruled out", item) for item in self.ruled_out]
        out += [("not tried", item) for item in self.skipped]
        if not self.causes:
            out += [("left", item) for item in self.left]
        return out

    def to_json(self) -> dict[str, Any]:
        return {"state": "done", "headline": self.headline, "causes": [c.to_json() for c in self.causes],
                "tested": self.tested, "ruled_out": self.ruled_out, "skipped": self.skipped, "left": self.left,
                "seconds": round(self.seconds, 3)}


def explain(request: SignedRequest, *, scheme: str | Scheme | None = None, secrets: Sequence[str] = (),
            candidates: Sequence[tuple[str, str]] = (), verdict: SignatureVerdict | None = None,
            now: float | None = None, tolerance: float | None = None, options: Any = None,
            limits: Limits | None = None) -> Diagnosis:
    """The diagnosis of `request`'s signature. `candidates` are other secrets hooktui knows (label, secret): the
    other routes' secrets, the provider's environment variable; one that signs it is named by its label."""
    from hookdeck_tui.signatures import detect, get_scheme, verify_request  # the package imports this module

    now = time.time() if now is None else now
    limits = limits or Limits()
    secrets = [s for s in secrets if s]
    chosen = (scheme if isinstance(scheme, Scheme) else get_scheme(scheme, options)) if scheme else detect(request)
    if verdict is None:
        verdict = verify_request(request, scheme=chosen, secrets=secrets, tolerance=tolerance, now=now)
    started = time.perf_counter()
    if chosen is None or verdict.status not in DIAGNOSABLE:
        return Diagnosis(skipped=[f"the signature is {verdict.status}: there is nothing to explain"])
    if not secrets:
        return Diagnosis(skipped=["no secret is configured here to recompute the signature with"])
    if chosen.name == "discord":
        return Diagnosis(skipped=["Discord signs with a private key: a mismatch cannot be recomputed"])
    search = Search(chosen, request, secrets, limits)
    search_all(search, verdict, candidates, now, tolerance)
    diagnosis = Diagnosis(causes=dedupe(search.causes), tested=search.tested, seconds=time.perf_counter() - started)
    diagnosis.ruled_out = [f"{CLASSES[k]}: {n} tested" for k, n in search.tried.items() if not search.hits.get(k)]
    diagnosis.skipped = _skipped(search, request)
    diagnosis.left = _left(search, candidates) if not diagnosis.causes else []
    if search.parsed is not None and search.keys:
        try:
            diagnosis.expected = chosen.expected_text(search.parsed, request.body, secrets[search.keys[0][0]],
                                                      request.url)
        except (SecretError, NeedsUrl, ValueError):
            pass
    return diagnosis


def _skipped(search: Search, request: SignedRequest) -> list[str]:
    out = []
    size = len(request.body)
    if search.parsed is None:
        out.append("the body, secret, JSON, form and URL tests: the signature header cannot be read, so only "
                   "repairs of the header were tried")
    elif size <= search.limits.full_body and body_too_deep(request.body):
        out.append(f"JSON re-encodings: the body is nested deeper than {MAX_DEPTH} levels")
    elif size > search.limits.full_body:
        out.append(f"JSON re-encodings, form re-encodings, charset round trips and compression: the body is "
                   f"{size:,} bytes, over the {search.limits.full_body:,}-byte bound for re-encoding it "
                   f"(only the checks that cost one HMAC each were tried)")
    if search.parsed is not None and size > search.limits.pairs_body and not search.causes:
        out.append(f"pairs of a body change and a secret change: the body is over {search.limits.pairs_body:,} bytes")
    if search.scheme.needs_url and not request.url:
        out.append("the URL tests: the URL the provider called is not known (set verify.url or --url)")
    for klass in sorted(search.out_of_time):
        out.append(f"part of {CLASSES[klass]}: the {search.limits.seconds:g} s time budget ran out")
    return out


def body_too_deep(body: bytes) -> bool:
    """A JSON body that json_data refused for its depth, not for its syntax."""
    try:
        loads_bounded(body)
    except TooDeep:
        return True
    except (ValueError, UnicodeDecodeError):
        return False
    return False


def _left(search: Search, candidates: Sequence[tuple[str, str]]) -> list[str]:
    others = len([c for c in candidates if c[1] and c[1] not in search.secrets])
    tried = f"the {len(search.secrets)} configured" + (f" and {others} other known" if others else "")
    out = [f"a secret other than {tried}: compare with the one the provider shows for this endpoint (test and live "
           f"mode have different secrets; a rotated secret changes)",
           "a change to the body that is not tested here (a field edited, added or removed; keys put in an order that "
           "is not sorted)"]
    data = json_data(search.request.body) if len(search.request.body) <= search.limits.full_body else None
    if data is not None and looks_js_rounded(data):
        out.append("the body has integers above 2^53 written as JavaScript rounds them: if a JavaScript runtime "
                   "re-encoded it, the original digits are lost and cannot be tested")
    return out
