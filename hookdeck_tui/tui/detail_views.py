"""What the Overview, Signature and Workflow tabs say about an event, as aligned `Label  value` rows: the stored
match, forward and diagnosis are read field by field and said in words (a nested value at most as one short line),
never dumped as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from hookdeck_tui.console.types import CapturedEvent, ForwardOutcome, RouteMatch, describe_simulated, pending_hint
from hookdeck_tui.formatting import local_time
from hookdeck_tui.tui.rendering import Block, Grid, compact, inert, kv_rows
from hookdeck_tui.tui.theme_styles import VERDICT_ROLES, Palette, status_role

if TYPE_CHECKING:
    from hookdeck_tui.console.types import Diagnosis

def verdict_badge(status: str, scheme: str | None, palette: Palette) -> Text:
    """`invalid · modelriver`: the verdict in its colour, then the scheme."""
    text = Text()
    text.append(status, palette.style(VERDICT_ROLES.get(status, "warn")))
    text.append(f" · {scheme or 'no scheme'}")
    return text


def answer_badge(status: Any, palette: Palette) -> Text:
    if not isinstance(status, int):
        return Text(str(status) if status is not None else "—", palette.style("warn"))
    return Text(str(status), palette.style(status_role(status)))


def match_lines(match: RouteMatch | None) -> list[str]:
    """What the route did with the event, one line per callback item or started run, in words."""
    if not match:
        return []
    kind = match.kind
    engine = match.engine or []
    lines = []
    if kind == "callback":
        for index, item in enumerate(match.items or []):
            delivery = engine[index] if index < len(engine) else {}
            outcome = delivery.get('reason') or (
                f"resumed {delivery.get('run_id')} (job {delivery.get('job_id')})"
                if delivery.get('run_id') else "not delivered")
            lines.append(f"callback {item.get('key')}: {item.get('status')} → "
                         f"{item.get('outcome')}; {outcome}")
    elif kind == "trigger":
        workflow = match.workflow
        started = [entry for entry in engine if entry.get('run_id')]
        for entry in started:
            lines.append(f"{workflow} → run {entry.get('run_id')} ({entry.get('state') or 'started'})")
        for entry in engine:
            if not entry.get('run_id') and entry.get('reason'):
                lines.append(f"{workflow}: not started, {entry.get('reason')}")
        if not engine:
            lines.append(f"{workflow} (no run)")
    else:
        lines.append(compact(match, 100))
    if match.error:
        lines.append(f"error: {match.error}")
    return lines


def forward_line(forward: ForwardOutcome) -> str:
    outcome = forward.status or forward.error
    return (f"{forward.url} → {outcome} in {forward.latency_ms} ms, "
            f"{forward.attempts} attempt(s)")


def overview_text(e: CapturedEvent, derived: Sequence[CapturedEvent], palette: Palette) -> Block:
    """The event at a glance: when, what, how it was answered and checked, where it went."""
    heading = Text(f"#{e.id}  {e.method} ", "bold")
    heading.append_text(inert(e.target))
    meta = e.meta or {}
    content_type = e.header("content-type")
    rows: list[tuple[str, str | Text]] = [
        ("Received", f"{local_time(e.received_at)}  from {e.remote_addr or '—'}"),
        ("Method", e.method), ("Path", e.target), ("Listener", e.listener or "—"),
        ("Answer", answer_badge(e.response_status, palette))]
    if e.signature:
        rows.append(("Signature", verdict_badge(e.signature.status, e.signature.scheme, palette)))
    rows.append(("Route", e.route or "(no route)"))
    for index, line in enumerate(match_lines(e.match)):
        rows.append(("Workflow" if index == 0 else "", line))
    forged = meta.get("forged")
    if forged:
        variant = f", {forged['variant']}" if forged.get("variant") else ""
        notes = "".join(f"; {note}" for note in forged.get("notes", []))
        rows.append(("Forged", f"{forged.get('template')}{variant}{notes}"))
    if e.forward:
        rows.append(("Sent" if meta.get("sent_to") else "Forward", forward_line(e.forward)))
    rows += [(label.capitalize(), value) for label, value in describe_simulated(e.meta)]
    rows.append(("Body", f"{e.body_size} bytes" + (f", {content_type}" if content_type else "")))
    rows.append(("Origin", e.origin + (f" of #{e.origin_ref}" if e.origin_ref else "")))
    if e.error:
        rows.append(("Error", Text(e.error, palette.style("bad"))))
    for other in derived:
        answer = other.response_status if other.response_status is not None else (other.error or "—")
        shown = Text(f"#{other.id} {local_time(other.received_at, with_date=False)} → ")
        shown.append_text(answer_badge(answer, palette))
        if e.response_status is not None and other.origin == "replay":
            shown.append(f"  (this one: {e.response_status})", palette.style("muted"))
        rows.append((other.origin.capitalize(), shown))
    return Block(heading, Text(), kv_rows(rows, palette))


def signature_text(e: CapturedEvent, diagnosis: Diagnosis | None, palette: Palette, *, state: str) -> Text | Grid:
    """Verdict and scheme, the reason once, the received and expected signatures one above the other, then the
    diagnosis once. `state`: "pending" (being computed), "done", or "none" (nothing to compute it with)."""
    v = e.signature
    if v is None:
        return Text("not checked", palette.style("muted"))
    details = v.details or {}
    rows: list[tuple[str, str | Text]] = [("Verdict", verdict_badge(v.status, v.scheme, palette)),
                                          ("Reason", v.reason)]
    received = details.get("received")
    expected = (diagnosis.expected if diagnosis is not None else None) or details.get("expected")
    if received is not None:
        rows.append(("Received", _marked(str(received), None if expected is None else str(expected), palette)))
    if expected is not None:
        rows.append(("Expected", inert(str(expected))))
    if details.get("timestamp") is not None:
        stamp = details["timestamp"]
        shown = local_time(stamp) if isinstance(stamp, int | float) else str(stamp)
        rows.append(("Timestamp", f"{shown}{_skew(details.get('skew_seconds'))}"))
    if state == "pending":
        rows.append(("Diagnosis", Text("diagnosing…", palette.style("muted"))))
    elif diagnosis is not None:
        rows.append(("Diagnosis", _diagnosis(diagnosis, palette)))
    elif details.get("diagnosis") == "pending":
        hint = pending_hint(v)
        if hint:
            rows.append(("Diagnosis", Text(hint.removeprefix("diagnosis: "), palette.style("muted"))))
    notes = [str(note) for note in details.get("notes", [])]
    for index, note in enumerate(notes):
        rows.append(("Notes" if index == 0 else "", note))
    return kv_rows(rows, palette)


def _skew(seconds: Any) -> str:
    """How far the signed timestamp was from this machine's clock when the request arrived."""
    if not isinstance(seconds, int | float):
        return ""
    if seconds >= 0:
        return f" (signed {seconds:.1f} s before it arrived)"
    return f" ({-seconds:.1f} s ahead of this clock)"


def _marked(received: str, expected: str | None, palette: Palette) -> Text:
    """The received signature with the characters that differ from the expected one marked."""
    line = inert(received)
    if expected is not None:
        for index, char in enumerate(received):
            if index >= len(expected) or char != expected[index]:
                line.stylize(palette.style("bad"), index, index + 1)
    return line


_KIND_ROLES = {"likely": "warn", "also": "warn"}
_KIND_LABELS = {"also": "also valid", "none": ""}  # the headline of a diagnosis that found nothing needs no label


def _diagnosis(diagnosis: Diagnosis, palette: Palette) -> Text:
    text = Text()
    for index, (kind, line) in enumerate(diagnosis.lines()):
        if index:
            text.append("\n")
        label = _KIND_LABELS.get(kind, kind)
        if label:
            text.append(f"{label}: ", palette.style(_KIND_ROLES.get(kind, "muted")))
        text.append_text(inert(line))
    return text


def workflow_text(e: CapturedEvent, runs: Sequence[Any], timeline: Any, palette: Palette) -> Text | Block:
    """What the route handed to workflows, then each run's timeline (`timeline(run)` draws one)."""
    if not e.match:
        return Text("this event matched no callback or trigger route", palette.style("muted"))
    rows: list[tuple[str, str | Text]] = []
    kind = e.match.kind
    if kind == "trigger":
        rows.append(("Route", f"trigger → workflow {e.match.workflow}"))
    elif kind == "callback":
        rows.append(("Route", "callback"))
    for index, line in enumerate(match_lines(e.match)):
        rows.append(("Outcome" if index == 0 else "", line))
    parts: list[Text | Grid | Block] = [kv_rows(rows, palette)]
    for run in runs:
        parts += [Text(), timeline(run)]
    return Block(*parts)
