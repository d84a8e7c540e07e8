"""The diagnosis of a captured event's signature, with what the console knows: the verify settings of the route it
came in on (scheme options, secrets, tolerance, public URL), the --scheme/--secret defaults, and every other secret
of the config or the environment as a candidate ("signed with the secret of route `old`"). Slow by design (it
recomputes the signature many times): the console calls it from a worker thread, never on the event loop."""

from __future__ import annotations

from collections.abc import Sequence

from hookdeck_tui.config import Config
from hookdeck_tui.delivery.replay import _route_verify  # the verify block of the route an event came in on
from hookdeck_tui.signatures import Diagnosis, SchemeError, SchemeOptions, SignedRequest
from hookdeck_tui.signatures.report import diagnose_verdict, env_candidates
from hookdeck_tui.store import CapturedEvent


def diagnose_event(config: Config | None, event: CapturedEvent, *, default_scheme: str | None = None,
                   default_secrets: Sequence[str] = ()) -> Diagnosis | None:
    """None when the event's verdict has nothing to explain, or no secret is known to recompute it with."""
    verdict = event.signature
    if verdict is None:
        return None
    verify = _route_verify(config, event) if config is not None else None
    secrets = list(verify.all_secrets) if verify is not None and verify.all_secrets else list(default_secrets)
    candidates = [c for c in _config_secrets(config) + env_candidates(verdict.scheme, secrets) if c[1] not in secrets]
    if not secrets:
        secrets = [secret for _, secret in env_candidates(verdict.scheme, [])][:1]
    url = (verify.url if verify is not None else None) or verdict.details.get("url")
    try:
        return diagnose_verdict(verdict, SignedRequest(event.body, event.headers, url),
                                scheme=(verify.scheme if verify is not None else None) or verdict.scheme
                                or default_scheme, secrets=secrets, candidates=candidates,
                                options=SchemeOptions.of(verify) if verify is not None else None,
                                tolerance=verify.tolerance if verify is not None else None)
    except SchemeError:
        return None


def _config_secrets(config: Config | None) -> list[tuple[str, str]]:
    """Every secret the config holds, named by its route (never shown)."""
    out: list[tuple[str, str]] = []
    for listener in config.listeners if config is not None else []:
        for route in listener.routes:
            if route.verify is not None:
                out += [(f"the secret of route `{route.label}`", s) for s in route.verify.all_secrets]
    return out
