"""`hooktui events` and `hooktui show`: read the capture store without starting anything."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

from hookdeck_tui.answer_settings import describe_simulated
from hookdeck_tui.formatting import VERDICT_BADGES, body_text, json_safe, local_time, mask_header, terminal_safe
from hookdeck_tui.store import CapturedEvent, EventFilter, Store
from hookdeck_tui.store.exchange import without_credentials


def event_line(event: CapturedEvent) -> str:
    """One human line per event, as `hooktui events` and `hooktui listen` print them."""
    status = str(event.response_status) if event.response_status is not None else "---"
    verdict = VERDICT_BADGES.get(event.signature.status, event.signature.status) if event.signature else ""
    scheme = f" {event.signature.scheme}" if event.signature and event.signature.scheme else ""
    origin = f" [{event.origin}{' of #' + str(event.origin_ref) if event.origin_ref else ''}]" \
        if event.origin != "external" else ""
    route = f"  → {event.route}" if event.route else ""
    sent = f"  {event.listener}" if event.sent else ""  # where hooktui sent it: `→ http://host:port`
    return terminal_safe(f"#{event.id:<6} {local_time(event.received_at)}  {event.method:<6} {status}  "
                         f"{event.target}  {verdict}{scheme}{route}{origin}{sent}").rstrip()


def run_events(store: Store, *, limit: int, as_json: bool, filters: EventFilter) -> int:
    events = list(reversed(store.page(limit=limit, filters=filters, include_body=as_json)))
    for event in events:
        print(json_safe(json.dumps(event.to_json(), ensure_ascii=False)) if as_json else event_line(event))
    if not as_json and not events:
        print("no events yet" if filters.is_empty else "no events match", file=sys.stderr)
    return 0


def run_show(store: Store, event_id: int, *, as_json: bool, credentials: bool = False) -> int:
    """The event in full; credential headers masked unless `credentials` (as `export`), and every text from the
    request terminal-safe (a body cannot retitle, clear or write the clipboard of the terminal showing it)."""
    event = store.get(event_id)
    if event is None:
        print(f"hooktui show: no event #{event_id} in {store.path}", file=sys.stderr)
        return 1
    captured = event  # as received: the diagnosis recomputes signatures over its headers
    if not credentials:
        event = without_credentials(event)
    if as_json:
        print(json_safe(json.dumps({**event.to_json(), "deliveries": _json_deliveries(store, event_id, credentials)},
                                   ensure_ascii=False, indent=2)))
        return 0
    lines = [event_line(event), f"\n{event.method} {event.target}"]
    lines += [f"{name}: {value}" for name, value in event.headers]
    kind, text = body_text(event.body)
    lines += [f"\n[body: {event.body_size} bytes, {kind}]", text]
    if event.signature:
        lines.append(f"\nsignature: {event.signature.status}"
                     f"{' (' + event.signature.scheme + ')' if event.signature.scheme else ''}: "
                     f"{event.signature.reason}")
        lines += [f"  {line}" for line in signature_diagnosis(captured)]
    if event.error:
        lines.append(f"error: {event.error}")
    if event.match:
        lines.append(f"match: {json.dumps(event.match.to_json(), ensure_ascii=False)}")
    if event.forward:
        lines.append(f"forward: {json.dumps(event.forward.to_json(), ensure_ascii=False)}")
    lines += [f"{label}: {text}" for label, text in describe_simulated(event.meta)]
    print(terminal_safe("\n".join(lines)))
    return 0


def signature_diagnosis(event: CapturedEvent) -> list[str]:
    """The diagnosis of a pending verdict, computed now (the listener never computes it), with the secret this
    machine has for the scheme; without one, how to get it."""
    from hookdeck_tui.signatures import SchemeError, SignedRequest
    from hookdeck_tui.signatures.report import diagnose_verdict, diagnosis_lines, env_candidates, pending_hint

    verdict = event.signature
    hint = pending_hint(verdict)
    if hint is None or verdict is None:
        return []
    known = env_candidates(verdict.scheme, [])
    try:
        diagnosis = diagnose_verdict(verdict, SignedRequest(event.body, event.headers),
                                     secrets=[secret for _, secret in known])
    except SchemeError:  # a generic `hmac` route's options live in the config, not in the store
        diagnosis = None
    return diagnosis_lines(diagnosis) if diagnosis is not None else [hint]


def _json_deliveries(store: Store, event_id: int, credentials: bool = True) -> list[dict[str, Any]]:
    """Each attempt as JSON: the body as text, credential headers masked unless `credentials`."""
    deliveries = []
    for delivery in store.deliveries(event_id):
        data = asdict(delivery)
        headers = delivery.response_headers
        data["response_headers"] = None if headers is None else [
            [name, value if credentials else mask_header(name, value)] for name, value in headers]
        body = data.pop("response_body")
        data["response_body"] = body.decode("utf-8", "replace") if body is not None else None
        deliveries.append(data)
    return deliveries
