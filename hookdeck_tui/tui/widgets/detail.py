"""The selected event in tabs: Overview, Headers (credentials masked until revealed), Body (pretty JSON, text, or
hex; huge bodies truncated with a note), Signature (verdict, reason, diagnosis, expected vs received)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from hookdeck_tui.console.types import CapturedEvent, EventReads, RoundTrip, describe_attempt, describe_simulated
from hookdeck_tui.formatting import body_text, json_safe, local_time, mask_header
from hookdeck_tui.tui.rendering import inert, run_timeline

if TYPE_CHECKING:
    from hookdeck_tui.console.types import Diagnosis

TABS = (("Overview", "overview"), ("Headers", "headers"), ("Body", "body"), ("Signature", "signature"),
        ("Workflow", "workflow"), ("Forward", "forward"), ("Round trip", "round-trip"))

BODY_DISPLAY_LIMIT = 256 * 1024


class DetailPane(Vertical):
    def __init__(self, store: EventReads, diagnose: Callable[[CapturedEvent], Diagnosis | None] | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.event: CapturedEvent | None = None
        self.reveal = False
        self._stale: set[str] = set()  # tabs not drawn for the shown event yet
        self.diagnose = diagnose  # slow (recomputes the signature many times): only ever run in a worker thread
        self._diagnoses: dict[int, Diagnosis | None] = {}
        self._diagnosing: set[int] = set()

    def compose(self) -> ComposeResult:
        with TabbedContent(id="detail-tabs"):
            for title, name in TABS:
                with TabPane(title, id=f"tab-{name}"), VerticalScroll():
                    yield Static(id=f"detail-{name}", markup=False)

    def show(self, event: CapturedEvent | None) -> None:
        """Show `event`: only the tab in view is drawn now; the others when they are opened (while the list follows
        a busy tail, drawing seven tabs per frame — highlighted JSON included — would take the listeners' time)."""
        self.event = event
        self._stale = {name for _, name in TABS}
        if event is None:
            for _, name in TABS:
                self.query_one(f"#detail-{name}", Static).update("No event selected: requests appear here as they "
                                                                 "arrive.")
            self._stale.clear()
            return
        self.draw(self.query_one("#detail-tabs", TabbedContent).active.removeprefix("tab-"))

    def draw(self, name: str) -> None:
        """Draw tab `name` for the shown event, if it is not drawn yet."""
        if self.event is None or name not in self._stale:
            return
        self._stale.discard(name)
        renderers = {"overview": self._overview, "headers": self._headers, "body": self._body,
                     "signature": self._signature, "workflow": self._workflow, "forward": self._forward,
                     "round-trip": lambda e: round_trip_text(self.store, e)}
        self.query_one(f"#detail-{name}", Static).update(renderers[name](self.event))

    @on(TabbedContent.TabActivated, "#detail-tabs")
    def tab_opened(self, message: TabbedContent.TabActivated) -> None:
        self.draw(message.pane.id.removeprefix("tab-"))

    def toggle_reveal(self) -> None:
        self.reveal = not self.reveal
        if self.event is not None:
            self._stale.add("headers")
            if self.query_one("#detail-tabs", TabbedContent).active == "tab-headers":
                self.draw("headers")

    def _overview(self, e: CapturedEvent) -> Text:
        text = Text()
        text.append(f"#{e.id}  ", "bold")
        text.append(f"{e.method} ", "bold")
        text.append_text(inert(e.target))
        lines = [("received", local_time(e.received_at)), ("from", e.remote_addr), ("listener", e.listener),
                 ("answered", str(e.response_status or "—")), ("route", e.route or "(no route)"),
                 ("body", f"{e.body_size} bytes"), ("origin", e.origin + (f" of #{e.origin_ref}" if e.origin_ref
                                                                              else ""))]
        if e.signature:
            lines.append(("signature", f"{e.signature.status} ({e.signature.scheme or 'no scheme'})"))
        if e.error:
            lines.append(("error", e.error))
        if e.match:
            lines.append(("match", json.dumps(e.match.to_json(), ensure_ascii=False, default=str)))
        forged = (e.meta or {}).get("forged")
        if forged:
            variant = f", {forged['variant']}" if forged.get("variant") else ""
            notes = "".join(f"; {note}" for note in forged.get("notes", []))
            lines.append(("forged", f"{forged.get('template')}{variant}{notes}"))
        if e.forward:
            forward = e.forward
            label = "sent" if e.sent else "forward"
            lines.append((label, f"{forward.url} → {forward.status or forward.error} "
                                 f"in {forward.latency_ms} ms, {forward.attempts} attempt(s)"))
        lines += describe_simulated(e.meta)
        for label, value in lines:
            text.append(f"\n{label:>10}  ", "grey58")
            text.append_text(inert(str(value)))
        derived = self.store.derived_from(e.id) if e.id is not None else []
        for other in derived:
            kind = "replay" if other.origin == "replay" else other.origin
            answer = other.response_status if other.response_status is not None else (other.error or "—")
            text.append(f"\n{kind:>10}  ", "grey58")
            text.append(f"#{other.id} {local_time(other.received_at, with_date=False)} → {answer}",
                        "green" if isinstance(answer, int) and answer < 400 else "yellow")
            if e.response_status is not None and other.origin == "replay":
                text.append(f"  (this one: {e.response_status})", "grey58")
        return text

    def _headers(self, e: CapturedEvent) -> Text:
        text = Text()
        for name, value in e.headers:
            text.append(f"{name}: ", "bold cyan")
            text.append_text(inert(value if self.reveal else mask_header(name, value)))
            text.append("\n")
        if not self.reveal:
            text.append("\ncredentials are masked; press v to reveal", "grey50")
        return text

    def _body(self, e: CapturedEvent):
        if not e.body:
            return Text("(empty body)", "grey50")
        shown = e.body[:BODY_DISPLAY_LIMIT]
        kind, content = body_text(shown)
        note = (f"\n\n… showing the first {BODY_DISPLAY_LIMIT // 1024} KiB of {e.body_size} bytes "
                f"(hooktui show {e.id} --json has it all)") if e.body_size > BODY_DISPLAY_LIMIT else ""
        if kind == "json":
            return Syntax(json_safe(content) + note, "json", word_wrap=True, theme="ansi_dark")
        header = "binary body, as hex:\n" if kind == "binary" else ""
        return Text(header, "grey58") + inert(content) + Text(note, "grey50")

    def _signature(self, e: CapturedEvent) -> Text:
        if e.signature is None:
            return Text("not checked", "grey50")
        v = e.signature
        text = Text()
        text.append(f"{v.status}", "bold green" if v.status == "valid" else "bold red")
        text.append(f"  {v.scheme or 'no scheme'}\n", "bold")
        text.append_text(inert(v.reason))
        details = v.details or {}
        for key in ("received", "expected"):
            if key in details:
                text.append(f"\n{key:>9}  ", "grey58")
                text.append_text(inert(str(details[key])))
        if details.get("diagnosis") == "pending" and e.id is not None and self.diagnose is not None:
            if e.id not in self._diagnoses:
                self._start_diagnosis(e)
                text.append("\n• diagnosing…", "grey58")
            elif self._diagnoses[e.id] is not None:
                diagnosis = self._diagnoses[e.id]
                if diagnosis.expected:
                    text.append(f"\n{'expected':>9}  ", "grey58")
                    text.append_text(inert(diagnosis.expected))
                for kind, line in diagnosis.lines():
                    text.append(f"\n• {kind}: ", "yellow" if kind in ("likely", "also") else "grey58")
                    text.append_text(inert(line))
        for note in details.get("notes", []):
            text.append("\n• note: ", "grey58")
            text.append_text(inert(note))
        return text

    def _start_diagnosis(self, event: CapturedEvent) -> None:
        """Compute the diagnosis in a thread (never on the loop the listeners share), then redraw the tab."""
        if event.id in self._diagnosing:
            return
        self._diagnosing.add(event.id)
        diagnose = self.diagnose

        def work() -> None:
            try:
                result = diagnose(event)
            except Exception:
                result = None
            self.app.call_from_thread(self._diagnosed, event.id, result)

        self.run_worker(work, thread=True, group="diagnosis", exit_on_error=False)

    def _diagnosed(self, event_id: int, diagnosis: Diagnosis | None) -> None:
        self._diagnoses[event_id] = diagnosis
        self._diagnosing.discard(event_id)
        if self.event is not None and self.event.id == event_id:
            self._stale.add("signature")
            if self.query_one("#detail-tabs", TabbedContent).active == "tab-signature":
                self.draw("signature")

    def _workflow(self, e: CapturedEvent) -> Text:
        """What the route handed to workflows, and each run's timeline (job by job, state by state)."""
        if not e.match:
            return Text("this event matched no callback or trigger route", "grey50")
        text = Text()
        engine = e.match.engine or []
        if e.match.kind == "callback":
            for index, item in enumerate(e.match.items):
                delivery = engine[index] if index < len(engine) else {}
                text.append(f"callback key {item.get('key')!r}: ", "bold")
                text.append(f"status {item.get('status')!r} → {item.get('outcome')}; ")
                text.append_text(inert(delivery.get("reason") or (f"delivered to {delivery.get('run_id')} "
                                                                  f"(job {delivery.get('job_id')})")))
                text.append("\n")
        elif e.match.kind == "trigger":
            text.append(f"trigger → workflow {e.match.workflow}\n", "bold")
        if e.match.error:
            text.append_text(inert(e.match.error))
        for run in self.store.runs(run_ids=e.run_ids):
            text.append("\n")
            text.append_text(run_timeline(self.store, run))
        return text

    def _forward(self, e: CapturedEvent) -> Text:
        """The forward exchange: each attempt, and what the app answered last."""
        deliveries = self.store.deliveries(e.id) if e.id else []  # forward attempts, or what a send/replay got
        if not deliveries and not e.forward:
            return Text("not forwarded (use --forward-to or `forward:`)", "grey50")
        text = Text()
        for delivery in deliveries:
            outcome = delivery.status if delivery.status is not None else delivery.error
            label = f"attempt {delivery.attempt}" if delivery.kind == "forward" else delivery.kind
            text.append(f"{label}  ", "bold")
            text.append_text(inert(f"{delivery.target} → {outcome}  ({delivery.latency_ms} ms)"))
            text.append("\n")
        if deliveries:
            last = deliveries[-1]
            for name, value in last.response_headers or []:
                text.append(f"\n{name}: ", "bold cyan")
                text.append_text(inert(value))
            if last.response_body:
                _kind, content = body_text(last.response_body[:BODY_DISPLAY_LIMIT])
                text.append("\n\n")
                text.append_text(inert(content))
        return text


TRIP_STYLES = {"waiting": "cyan", "completed": "bold green", "failed": "bold red", "invalid": "bold red",
               "refused": "bold red", "timeout": "bold yellow"}


def round_trip_text(store: EventReads, e: CapturedEvent) -> Text:
    """The ModelRiver round trip this event belongs to: the app's answer, then the callback and its checks, with
    the fields the app added to `data` highlighted — or how long it has been waiting, or why it ended."""
    meta = e.meta or {}
    channel = (meta.get("round_trip") or {}).get("channel_id") or meta.get("channel_id")
    trip = store.round_trip(channel) if channel else None
    if trip is None:
        return Text("not part of a round trip: press s and forge a modelriver.task_ai_generated event, whose "
                    "callback comes back to hooktui", "grey50")
    detail = trip.detail
    status = trip.status
    now = store.clock()
    if status == "waiting" and now > trip.deadline:
        status = "timeout"
    text = Text()
    text.append("round trip  ", "bold")
    text.append(status, TRIP_STYLES.get(status, ""))
    text.append(f"  channel {channel}\n", "grey58")
    rows = [("sent", f"#{trip.event_id} at {local_time(trip.started_at, with_date=False)}")]
    app_status = detail.get("app_status")
    rows.append(("app", f"{app_status} in {detail.get('app_latency_ms')} ms" if app_status is not None
                 else f"no answer: {detail.get('app_error')}"))
    if status == "waiting":
        rows.append(("callback", f"waiting {now - trip.started_at:.0f} s of {detail.get('timeout', 300):g} s"))
    elif detail.get("reason"):
        rows.append(("callback", detail["reason"]))
    for label, value in rows:
        text.append(f"{label:>10}  ", "grey58")
        text.append_text(inert(str(value)))
        text.append("\n")
    check = detail.get("check")
    if not check:
        return _attempts(text, store, trip)
    took = detail["callback_at"] - trip.started_at if detail.get("callback_at") else None
    text.append(f"{'callback':>10}  ", "grey58")
    text.append(f"#{trip.callback_event}" + (f" after {took:.2f} s" if took is not None else "") +
                ("  (late: after the timeout)" if detail.get("late") else ""))
    auth = {"ok": ("Bearer token ok", "green"), "missing": ("no Bearer token", "bold red"),
            "wrong": ("wrong Bearer token (not MODELRIVER_API_KEY)", "bold red"),
            "unchecked": ("Bearer not checked: set MODELRIVER_API_KEY", "yellow")}[check["auth"]]
    text.append(f"\n{'auth':>10}  ", "grey58")
    text.append(*auth)
    text.append(f"\n{'contract':>10}  ", "grey58")
    if check.get("problems"):
        text.append_text(inert("; ".join(check["problems"])))
        text.stylize("bold red", len(text) - len("; ".join(check["problems"])))
    elif check["outcome"] == "failed":
        text.append("processing_failed: ", "bold red")
        text.append_text(inert(str(check.get("message"))))
    else:
        has_metadata = check.get("metadata") is not None
        text.append("{data, task_id" + (", metadata" if has_metadata else "") + "} ✓", "green")
        text.append(f"\n{'task_id':>10}  ", "grey58")
        text.append_text(inert(json.dumps(check.get("task_id"), ensure_ascii=False)))
        text.append(f"\n{'metadata':>10}  ", "grey58")
        if has_metadata:
            text.append_text(inert(json.dumps(check.get("metadata"), ensure_ascii=False)))
        else:
            text.append("none (optional)", "grey58")
    for label, fields, style in (("added", check.get("added") or {}, "bold green"),
                                 ("changed", check.get("changed") or {}, "yellow")):
        for key, value in fields.items():
            text.append(f"\n{label:>10}  ", "grey58")
            text.append(f"data.{key}", style)
            text.append(" = ")
            text.append_text(inert(json.dumps(value, ensure_ascii=False, default=str)))
    for key in check.get("removed") or []:
        text.append(f"\n{'dropped':>10}  ", "grey58")
        text.append(f"data.{key}", "yellow")
    return _attempts(text, store, trip)


def _attempts(text: Text, store: EventReads, trip: RoundTrip) -> Text:
    """Every callback when there was more than one (retries, a second callback, a follow-up) or one was answered
    as told: each with what it carried and how hooktui answered."""
    attempts = store.callback_attempts(trip.event_id)
    if len(attempts) > 1 or any(a.get("told") for a in attempts):
        for number, attempt in enumerate(attempts, 1):
            text.append(f"\n{'attempt ' + str(number):>10}  ", "grey58")
            text.append_text(inert(describe_attempt(number, attempt).strip().split(": ", 1)[1]))
    return text
