"""The callbacks one forged event received, oldest first, as the console's Round trip tab and `hooktui show`
list them."""

from __future__ import annotations

from typing import Any

from hookdeck_tui.store import Store


def callback_attempts(store: Store, event_id: int) -> list[dict[str, Any]]:
    """Every callback the app made for forged event `event_id`, oldest first: what it sent, how hooktui answered
    (and whether on purpose) — retries, a second callback and a processing_failed follow-up included."""
    attempts = []
    for callback in reversed(store.derived_from(event_id, limit=50)):
        if callback.origin != "callback":
            continue
        meta = callback.meta or {}
        attempts.append({"event": callback.id, "at": callback.received_at, "answer": callback.response_status,
                         "check": meta.get("round_trip") or {}, "told": meta.get("told"),
                         "second": bool(meta.get("duplicate")), "late": bool(meta.get("late")),
                         "error": callback.error})
    return attempts


def describe_attempt(number: int, attempt: dict[str, Any]) -> str:
    check = attempt["check"]
    if check.get("outcome") == "failed":
        sent = f"processing_failed: {check.get('message')}"
    elif check.get("outcome") == "completed":
        sent = "{data, task_id" + (", metadata" if (check.get("optional") or {}).get("metadata") is not None
                                   else "") + "}"
    else:
        sent = "an invalid callback" + (f" ({'; '.join(check.get('problems') or [])})" if check.get("problems")
                                        else "")
    told = attempt.get("told") or {}
    if told.get("status", 200) is None:
        answer = "not answered (as told)"
    else:
        answer = f"answered {attempt['answer']}" + (" (as told)" if told.get("status", 200) != 200 else "")
    if told.get("delay"):
        answer += f" after {told['delay']:g} s"
    second = " — a second callback: the round trip had already ended" if attempt["second"] else ""
    return f"  callback {number}: {sent} → {answer}{second}  (event #{attempt['event']})"
