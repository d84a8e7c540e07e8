"""`hooktui events` and `hooktui show`: read the capture store without starting anything."""

from __future__ import annotations

import json
import sys

from hookdeck_tui.formatting import VERDICT_BADGES, body_text, local_time
from hookdeck_tui.store import CapturedEvent, EventFilter, Store


def event_line(event: CapturedEvent) -> str:
    """One human line per event, as `hooktui events` and `hooktui listen` print them."""
    status = str(event.response_status) if event.response_status is not None else "---"
    verdict = VERDICT_BADGES.get(event.signature.status, event.signature.status) if event.signature else ""
    scheme = f" {event.signature.scheme}" if event.signature and event.signature.scheme else ""
    origin = f" [{event.origin}{' of #' + str(event.origin_ref) if event.origin_ref else ''}]" \
        if event.origin != "external" else ""
    route = f"  → {event.route}" if event.route else ""
    return (f"#{event.id:<6} {local_time(event.received_at)}  {event.method:<6} {status}  "
            f"{event.target}  {verdict}{scheme}{route}{origin}").rstrip()


def run_events(store: Store, *, limit: int, as_json: bool, filters: EventFilter) -> int:
    events = list(reversed(store.page(limit=limit, filters=filters, include_body=as_json)))
    for event in events:
        print(json.dumps(event.to_json(), ensure_ascii=False) if as_json else event_line(event))
    if not as_json and not events:
        print("no events yet" if filters.is_empty else "no events match", file=sys.stderr)
    return 0


def run_show(store: Store, event_id: int, *, as_json: bool) -> int:
    event = store.get(event_id)
    if event is None:
        print(f"hooktui show: no event #{event_id} in {store.path}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps({**event.to_json(), "deliveries": _json_deliveries(store, event_id)}, ensure_ascii=False,
                         indent=2))
        return 0
    print(event_line(event))
    print(f"\n{event.method} {event.target}")
    for name, value in event.headers:
        print(f"{name}: {value}")
    kind, text = body_text(event.body)
    print(f"\n[body: {event.body_size} bytes, {kind}]")
    print(text)
    if event.signature:
        print(f"\nsignature: {event.signature.status}"
              f"{' (' + event.signature.scheme + ')' if event.signature.scheme else ''}: {event.signature.reason}")
        for line in signature_diagnosis(event):
            print(f"  {line}")
    if event.error:
        print(f"error: {event.error}")
    if event.match:
        print(f"match: {json.dumps(event.match, ensure_ascii=False)}")
    if event.forward:
        print(f"forward: {json.dumps(event.forward, ensure_ascii=False)}")
    return 0


def signature_diagnosis(event: CapturedEvent) -> list[str]:
    """The diagnosis of a pending verdict, computed now (the listener never computes it), with the secret this
    machine has for the scheme; without one, how to get it."""
    from hookdeck_tui.signatures import SchemeError, SignedRequest
    from hookdeck_tui.signatures.report import diagnose_verdict, diagnosis_lines, env_candidates, pending_hint

    verdict = event.signature
    hint = pending_hint(verdict)
    if hint is None:
        return []
    known = env_candidates(verdict.scheme, [])
    try:
        diagnosis = diagnose_verdict(verdict, SignedRequest(event.body, event.headers),
                                     secrets=[secret for _, secret in known])
    except SchemeError:  # a generic `hmac` route's options live in the config, not in the store
        diagnosis = None
    return diagnosis_lines(diagnosis) if diagnosis is not None else [hint]


def _json_deliveries(store: Store, event_id: int) -> list[dict]:
    deliveries = store.deliveries(event_id)
    for delivery in deliveries:
        body = delivery.pop("response_body")
        delivery["response_body"] = body.decode("utf-8", "replace") if body is not None else None
    return deliveries
