"""Facts about a mismatched signature that cost nothing to state (computed with the verdict, on the request path):
the timestamp's skew against this machine's clock, and other schemes' headers on the same request."""

from __future__ import annotations

from hookdeck_tui.signatures.base import Parsed, Scheme
from hookdeck_tui.signatures.request import SignedRequest


def notes(scheme: Scheme, parsed: Parsed, request: SignedRequest, others: list[Scheme], now: float) -> list[str]:
    """Facts worth knowing that do not by themselves explain a mismatch (cheap: computed with the verdict)."""
    out = []
    if parsed.timestamp is not None:
        skew = now - parsed.timestamp
        if abs(skew) > 60:
            when = f"{skew:.0f} s in the past" if skew > 0 else f"{-skew:.0f} s in the future"
            out.append(f"the signed timestamp is {when} of this machine's clock: an old request replayed, or a "
                       f"clock that is off")
    other_names = [o.name for o in others if o.name != scheme.name]
    if other_names:
        out.append(f"the request also carries {', '.join(other_names)} signature headers")
    return out
