"""The selected event in tabs: Overview (aligned fields), Headers (credentials masked until revealed), Body (a form
as a table, JSON pretty and folded when long, text, or hex; huge bodies truncated with a note), Signature (verdict,
reason, received vs expected, the diagnosis), Workflow (each run's timeline), Forward and Round trip. Colours come from
the app's theme, redrawn when it changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.theme import Theme
from textual.widgets import TabbedContent, TabPane

from hookdeck_tui.console.types import CapturedEvent, EventReads
from hookdeck_tui.formatting import body_text, mask_header
from hookdeck_tui.tui.body_view import BODY_DISPLAY_LIMIT, BodyReading, body_view, read_body
from hookdeck_tui.tui.detail_views import answer_badge, overview_text, signature_text, workflow_text
from hookdeck_tui.tui.rendering import Block, Grid, inert, run_timeline
from hookdeck_tui.tui.round_trip_view import round_trip_text
from hookdeck_tui.tui.theme_styles import Palette, palette_of
from hookdeck_tui.tui.widgets.line_text import LineText

if TYPE_CHECKING:
    from hookdeck_tui.console.types import Diagnosis

TABS = (("Overview", "overview"), ("Headers", "headers"), ("Body", "body"), ("Signature", "signature"),
        ("Workflow", "workflow"), ("Forward", "forward"), ("Round trip", "round-trip"))


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
        self.expanded = False  # a long JSON body shown in full
        self._body_of: tuple[int | None, BodyReading | None] = (None, None)  # (event id, read_body of it)
        self._fold_key_shown = False

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Theme) -> None:
        """Every tab's colours come from the theme: redraw the one in view, the others when opened."""
        self.redraw(*(name for _, name in TABS))

    def compose(self) -> ComposeResult:
        with TabbedContent(id="detail-tabs"):
            for title, name in TABS:
                with TabPane(title, id=f"tab-{name}"):
                    yield LineText(id=f"detail-{name}")

    def show(self, event: CapturedEvent | None) -> None:
        """Show `event`: only the tab in view is drawn now; the others when they are opened (while the list follows
        a busy tail, drawing seven tabs per frame — highlighted JSON included — would take the listeners' time)."""
        if event is None or self.event is None or event.id != self.event.id:
            self.expanded = False
            for text in self.query(LineText):  # another event: each tab starts at its top, not where the last one was
                text.scroll_to(y=0, animate=False, immediate=True)
        self.event = event
        self._update_fold_key()
        self._stale = {name for _, name in TABS}
        if event is None:
            for _, name in TABS:
                self.query_one(f"#detail-{name}", LineText).update("No event selected: requests appear here as they "
                                                                 "arrive.")
            self._stale.clear()
            return
        self.draw(self.query_one("#detail-tabs", TabbedContent).active.removeprefix("tab-"))

    def draw(self, name: str) -> None:
        """Draw tab `name` for the shown event, if it is not drawn yet."""
        if self.event is None or name not in self._stale:
            return
        self._stale.discard(name)
        renderers: dict[str, Callable[[CapturedEvent], RenderableType]] = {
            "overview": self._overview, "headers": self._headers, "body": self._body, "signature": self._signature,
            "workflow": self._workflow, "forward": self._forward,
            "round-trip": lambda e: round_trip_text(self.store, e, self._palette())}
        self.query_one(f"#detail-{name}", LineText).update(renderers[name](self.event))

    @on(TabbedContent.TabActivated, "#detail-tabs")
    def tab_opened(self, message: TabbedContent.TabActivated) -> None:
        self.draw((message.pane.id or "").removeprefix("tab-"))
        self._update_fold_key()

    def redraw(self, *names: str) -> None:
        """Tabs `names` changed: draw the one in view now, the others when they are opened."""
        if self.event is None:
            return
        self._stale.update(names)
        self.draw(self.query_one("#detail-tabs", TabbedContent).active.removeprefix("tab-"))

    def toggle_reveal(self) -> None:
        self.reveal = not self.reveal
        self.redraw("headers")

    def _reading(self) -> BodyReading | None:
        """The shown event's body as the Body tab reads it (once per event: it pretty-prints JSON)."""
        if self.event is None:
            return None
        if self._body_of[0] != self.event.id or self._body_of[1] is None:
            self._body_of = (self.event.id, read_body(self.event))
        return self._body_of[1]

    def _foldable(self) -> bool:
        reading = self._reading()
        return reading is not None and reading.folds

    def action_toggle_folding(self) -> None:
        if self._foldable():
            self.expanded = not self.expanded
            self.redraw("body")

    @property
    def fold_key_shown(self) -> bool:
        """The fold key (the app's binding) applies: the Body tab is open on a long JSON body."""
        return self._fold_key_shown

    def _update_fold_key(self) -> None:
        """Refresh the footer's keys when the fold key comes or goes (not on every event: the footer recomposes)."""
        shown = self.query_one("#detail-tabs", TabbedContent).active == "tab-body" and self._foldable()
        if shown != self._fold_key_shown:
            self._fold_key_shown = shown
            self.refresh_bindings()

    def _palette(self) -> Palette:
        return palette_of(self.app)

    def _overview(self, e: CapturedEvent) -> Block:
        derived = self.store.derived_from(e.id) if e.id is not None else []
        return overview_text(e, derived, self._palette())

    def _headers(self, e: CapturedEvent) -> Text:
        palette = self._palette()
        text = Text()
        for name, value in e.headers:
            text.append(f"{name}: ", palette.style("key"))
            text.append_text(inert(value if self.reveal else mask_header(name, value)))
            text.append("\n")
        if not self.reveal:
            text.append("\ncredentials are masked; press v to reveal", palette.style("muted"))
        return text

    def _body(self, e: CapturedEvent) -> RenderableType:
        return body_view(e, self._palette(), expanded=self.expanded, reading=self._reading())

    def _signature(self, e: CapturedEvent) -> Text | Grid:
        diagnosis = None
        state = "none"
        details = e.signature.details if e.signature is not None and e.signature.details else {}
        if details.get("diagnosis") == "pending" and e.id is not None and self.diagnose is not None:
            if e.id not in self._diagnoses:
                self._start_diagnosis(e)
                state = "pending"
            else:
                diagnosis = self._diagnoses[e.id]
                state = "done"
        return signature_text(e, diagnosis, self._palette(), state=state)

    def _start_diagnosis(self, event: CapturedEvent) -> None:
        """Compute the diagnosis in a thread (never on the loop the listeners share), then redraw the tab."""
        diagnose, event_id = self.diagnose, event.id
        if diagnose is None or event_id is None or event_id in self._diagnosing:
            return
        self._diagnosing.add(event_id)

        def work() -> None:
            try:
                result = diagnose(event)
            except Exception:
                result = None
            self.app.call_from_thread(self._diagnosed, event_id, result)

        self.run_worker(work, thread=True, group="diagnosis", exit_on_error=False)

    def _diagnosed(self, event_id: int, diagnosis: Diagnosis | None) -> None:
        self._diagnoses[event_id] = diagnosis
        self._diagnosing.discard(event_id)
        if self.event is not None and self.event.id == event_id:
            self.redraw("signature")

    def _workflow(self, e: CapturedEvent) -> Text | Block:
        """What the route handed to workflows, and each run's timeline (one line per job state)."""
        palette = self._palette()
        runs = self.store.runs(run_ids=e.run_ids) if e.match else []
        return workflow_text(e, runs, lambda run: run_timeline(self.store, run, palette), palette)

    def _forward(self, e: CapturedEvent) -> Text:
        """The forward exchange: each attempt, and what the app answered last."""
        palette = self._palette()
        deliveries = self.store.deliveries(e.id) if e.id else []  # forward attempts, or what a send/replay got
        if not deliveries and not e.forward:
            return Text("not forwarded (use --forward-to or `forward:`)", palette.style("muted"))
        text = Text()
        for delivery in deliveries:
            status = delivery.status
            kind = delivery.kind
            text.append(f"attempt {delivery.attempt}  " if kind == "forward" else f"{kind}  ", "bold")
            text.append_text(inert(f"{delivery.target} → "))
            text.append_text(answer_badge(status if status is not None else delivery.error, palette))
            text.append(f"  ({delivery.latency_ms} ms)\n")
        if deliveries:
            last = deliveries[-1]
            for name, value in last.response_headers or []:
                text.append(f"\n{name}: ", palette.style("key"))
                text.append_text(inert(value))
            if last.response_body:
                _kind, content = body_text(last.response_body[:BODY_DISPLAY_LIMIT])
                text.append("\n\n")
                text.append_text(inert(content))
        return text
