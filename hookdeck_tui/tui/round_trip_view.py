"""The Round trip tab: the ModelRiver round trip an event belongs to, as aligned rows — the app's answer, then the
callback and its checks, with the fields the app added to `data` highlighted — or how long it has been waiting, or
why it ended."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from hookdeck_tui.console.types import CapturedEvent, EventReads, RoundTrip, describe_attempt
from hookdeck_tui.formatting import local_time
from hookdeck_tui.tui.rendering import Block, inert, kv_rows
from hookdeck_tui.tui.theme_styles import DARK, Palette

TRIP_ROLES = {"waiting": "info", "completed": "ok", "failed": "bad", "invalid": "bad", "refused": "bad",
              "timeout": "warn"}
AUTH = {"ok": ("Bearer token ok", "ok"), "missing": ("no Bearer token", "bad"),
        "wrong": ("wrong Bearer token (not MODELRIVER_API_KEY)", "bad"),
        "unchecked": ("Bearer not checked: set MODELRIVER_API_KEY", "warn")}

Rows = list[tuple[str, str | Text]]


def round_trip_text(store: EventReads, e: CapturedEvent, palette: Palette = DARK) -> Text | Block:
    meta = e.meta or {}
    channel = (meta.get("round_trip") or {}).get("channel_id") or meta.get("channel_id")
    trip = store.round_trip(channel) if channel else None
    if trip is None:
        return Text("not part of a round trip: press s and forge a modelriver.task_ai_generated event, whose "
                    "callback comes back to hooktui", palette.style("muted"))
    detail = trip.detail or {}
    status = trip.status
    now = store.clock()
    if status == "waiting" and now > trip.deadline:
        status = "timeout"
    heading = Text("round trip  ", "bold")
    heading.append(status, "bold " + palette.style(TRIP_ROLES.get(status, "plain")))
    heading.append(f"  channel {channel}", palette.style("muted"))
    started = trip.started_at
    rows: Rows = [("Sent", f"#{trip.event_id} at {local_time(started, with_date=False)}")]
    app_status = detail.get("app_status")
    rows.append(("App", f"{app_status} in {detail.get('app_latency_ms')} ms" if app_status is not None
                 else f"no answer: {detail.get('app_error')}"))
    if status == "waiting":
        rows.append(("Callback", f"waiting {now - started:.0f} s of {detail.get('timeout', 300):g} s"))
    elif detail.get("reason"):
        rows.append(("Callback", detail["reason"]))
    check = detail.get("check")
    if check:
        rows += _checks(trip, detail, check, palette)
    rows += _attempts(store, trip)
    return Block(heading, kv_rows(rows, palette))


def _checks(trip: RoundTrip, detail: dict[str, Any], check: dict[str, Any], palette: Palette) -> Rows:
    """The callback that came back: when, its Bearer token, its contract, and what the app changed in `data`."""
    started = trip.started_at
    took = detail["callback_at"] - started if detail.get("callback_at") else None
    rows: Rows = [("Callback", f"#{trip.callback_event}" + (f" after {took:.2f} s" if took is not None
                                                                       else "") +
                   ("  (late: after the timeout)" if detail.get("late") else ""))]
    said, role = AUTH[check["auth"]]
    rows.append(("Auth", Text(said, palette.style(role))))
    if check.get("problems"):
        rows.append(("Contract", Text("; ".join(check["problems"]), palette.style("bad"))))
    elif check["outcome"] == "failed":
        rows.append(("Contract", Text("processing_failed: ", palette.style("bad")) + inert(str(check.get("message")))))
    else:
        has_metadata = check.get("metadata") is not None
        rows.append(("Contract", Text("{data, task_id" + (", metadata" if has_metadata else "") + "} ✓",
                                      palette.style("ok"))))
        rows.append(("task_id", json.dumps(check.get("task_id"), ensure_ascii=False)))
        rows.append(("Metadata", json.dumps(check.get("metadata"), ensure_ascii=False) if has_metadata
                     else Text("none (optional)", palette.style("muted"))))
    for label, fields, style in (("Added", check.get("added") or {}, f"bold {palette.ok}"),
                                 ("Changed", check.get("changed") or {}, palette.style("warn"))):
        for key, value in fields.items():
            shown = json.dumps(value, ensure_ascii=False, default=str)
            rows.append((label, Text(f"data.{key}", style) + inert(f" = {shown}")))
    for key in check.get("removed") or []:
        rows.append(("Dropped", Text(f"data.{key}", palette.style("warn"))))
    return rows


def _attempts(store: EventReads, trip: RoundTrip) -> Rows:
    """Every callback when there was more than one (retries, a second callback, a follow-up) or one was answered
    as told: each with what it carried and how hooktui answered."""
    attempts = store.callback_attempts(trip.event_id)
    if len(attempts) <= 1 and not any(a.get("told") for a in attempts):
        return []
    return [(f"Attempt {number}", describe_attempt(number, attempt).strip().split(": ", 1)[1])
            for number, attempt in enumerate(attempts, 1)]
