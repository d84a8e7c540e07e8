"""The selected event in tabs: Overview, Headers (credentials masked until revealed), Body (pretty JSON, text, or
hex; huge bodies truncated with a note), Signature (verdict, reason, diagnosis, expected vs received)."""

from __future__ import annotations

import json

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from hookdeck_tui.formatting import body_text, local_time, mask_header
from hookdeck_tui.store import CapturedEvent, Store
from hookdeck_tui.tui.rendering import inert, run_timeline

TABS = (("Overview", "overview"), ("Headers", "headers"), ("Body", "body"), ("Signature", "signature"),
        ("Workflow", "workflow"), ("Forward", "forward"))

BODY_DISPLAY_LIMIT = 256 * 1024


class DetailPane(Vertical):
    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.event: CapturedEvent | None = None
        self.reveal = False

    def compose(self) -> ComposeResult:
        with TabbedContent(id="detail-tabs"):
            for title, name in TABS:
                with TabPane(title, id=f"tab-{name}"), VerticalScroll():
                    yield Static(id=f"detail-{name}", markup=False)

    def show(self, event: CapturedEvent | None) -> None:
        self.event = event
        panes = {name: self.query_one(f"#detail-{name}", Static) for _, name in TABS}
        if event is None:
            for pane in panes.values():
                pane.update("No event selected: requests appear here as they arrive.")
            return
        panes["overview"].update(self._overview(event))
        panes["headers"].update(self._headers(event))
        panes["body"].update(self._body(event))
        panes["signature"].update(self._signature(event))
        panes["workflow"].update(self._workflow(event))
        panes["forward"].update(self._forward(event))

    def toggle_reveal(self) -> None:
        self.reveal = not self.reveal
        if self.event is not None:
            self.query_one("#detail-headers", Static).update(self._headers(self.event))

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
            lines.append(("match", json.dumps(e.match, ensure_ascii=False, default=str)))
        if e.forward:
            forward = e.forward
            lines.append(("forward", f"{forward.get('url')} → {forward.get('status') or forward.get('error')} "
                                     f"in {forward.get('latency_ms')} ms, {forward.get('attempts')} attempt(s)"))
        for label, value in lines:
            text.append(f"\n{label:>10}  ", "grey58")
            text.append_text(inert(str(value)))
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
            return Syntax(content + note, "json", word_wrap=True, theme="ansi_dark")
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
        for cause in details.get("diagnosis", []):
            text.append("\n• would be valid if undone: ", "yellow")
            text.append_text(inert(cause))
        for note in details.get("notes", []):
            text.append("\n• note: ", "grey58")
            text.append_text(inert(note))
        return text

    def _workflow(self, e: CapturedEvent) -> Text:
        """What the route handed to workflows, and each run's timeline (job by job, state by state)."""
        if not e.match:
            return Text("this event matched no callback or trigger route", "grey50")
        text = Text()
        engine = e.match.get("engine") or []
        if e.match.get("kind") == "callback":
            for index, item in enumerate(e.match.get("items", [])):
                delivery = engine[index] if index < len(engine) else {}
                text.append(f"callback key {item.get('key')!r}: ", "bold")
                text.append(f"status {item.get('status')!r} → {item.get('outcome')}; ")
                text.append_text(inert(delivery.get("reason") or (f"delivered to {delivery.get('run_id')} "
                                                                  f"(job {delivery.get('job_id')})")))
                text.append("\n")
        elif e.match.get("kind") == "trigger":
            text.append(f"trigger → workflow {e.match.get('workflow')}\n", "bold")
        if e.match.get("error"):
            text.append_text(inert(e.match["error"]))
        for run in self.store.runs(run_ids=e.run_ids):
            text.append("\n")
            text.append_text(run_timeline(self.store, run))
        return text

    def _forward(self, e: CapturedEvent) -> Text:
        """The forward exchange: each attempt, and what the app answered last."""
        deliveries = [d for d in self.store.deliveries(e.id) if d["kind"] == "forward"] if e.id else []
        if not deliveries and not e.forward:
            return Text("not forwarded (use --forward-to or `forward:`)", "grey50")
        text = Text()
        for delivery in deliveries:
            outcome = delivery["status"] if delivery["status"] is not None else delivery["error"]
            text.append(f"attempt {delivery['attempt']}  ", "bold")
            text.append_text(inert(f"{delivery['target']} → {outcome}  ({delivery['latency_ms']} ms)"))
            text.append("\n")
        if deliveries:
            last = deliveries[-1]
            for name, value in last.get("response_headers") or []:
                text.append(f"\n{name}: ", "bold cyan")
                text.append_text(inert(value))
            if last.get("response_body"):
                kind, content = body_text(last["response_body"][:BODY_DISPLAY_LIMIT])
                text.append("\n\n")
                text.append_text(inert(content))
        return text
