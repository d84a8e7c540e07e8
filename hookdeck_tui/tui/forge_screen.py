"""`s`: forge an event — pick a template, edit its JSON, choose the scheme, secret and variant, send. A ModelRiver
`task.ai_generated` event's callback comes back to this console (through its tunnel when one is online), which shows
the round trip; its callbacks can be answered 5xx, late or never to exercise the app's retries. "Probe" runs the
verification battery of `hooktui probe` against the same URL and shows its scorecard."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static, TextArea

from hookdeck_tui.console.types import (
    TEMPLATES,
    VARIANTS,
    CallbackPlan,
    Forged,
    ForgeError,
    ForgeSpec,
    OverrideError,
    PlanError,
    SchemeError,
    SecretError,
    forge,
    get_template,
    parse_time_scale,
    schedule_for,
)
from hookdeck_tui.tui.dialog import DialogScroll, ErrorLine


@dataclass
class ForgeChoice:
    """What the screen was closed with: a forged event to send (with how to answer its callbacks), or a spec to
    probe the app with."""

    forged: Forged | None = None
    plan: CallbackPlan | None = None
    probe: ForgeSpec | None = None
    delivery: str = "once"  # "once" | "provider" (its retry schedule) | "duplicate" (the same delivery twice)
    time_scale: float = 1.0


class ProbeScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss", "Close", id="probe.close")]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="probe", classes="dialog"):
            yield Static("Probe scorecard", markup=False)
            yield Static("\n".join(self.lines), id="probe-scorecard", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#probe").focus()  # the arrows scroll a long scorecard


class ForgeScreen(ModalScreen[ForgeChoice | None]):
    BINDINGS = [Binding("ctrl+s", "send", "Send", id="forge.send"),
                Binding("ctrl+r", "probe", "Probe", id="forge.probe"),
                Binding("escape", "dismiss", "Cancel", id="forge.cancel")]

    def __init__(self, default_to: str, callback_base: str, secret_for: Callable[[str], str | None],
                 template: str = "modelriver.task_ai_generated") -> None:
        super().__init__()
        self.default_to, self.callback_base, self.secret_for = default_to, callback_base, secret_for
        self.template = get_template(template)

    def compose(self) -> ComposeResult:
        with DialogScroll(id="forge", classes="dialog"):
            yield Static("Forge an event. A bare URL gets the template's path.", markup=False)
            with Horizontal(classes="row"):
                yield Label("template", classes="label")
                yield Select([(t.name, t.name) for t in TEMPLATES.values()],
                             value=self.template.name, allow_blank=False, id="forge-template")
            with Horizontal(classes="row"):
                yield Label("to", classes="label")
                yield Input(self.default_to, id="forge-to")
            with Horizontal(classes="row"):
                yield Label("signing", classes="label")
                yield Input(self.template.scheme or "none", id="forge-scheme", placeholder="scheme, or none")
                yield Input("", id="forge-secret", password=True,
                            placeholder="secret (default: config, then env)")
                yield Select([("signed correctly", "")] + [(v, v) for v in VARIANTS], value="", allow_blank=False,
                             id="forge-variant")
            with Horizontal(classes="row"):
                yield Label("callback", classes="label")
                yield Input("", id="forge-callback-answer", placeholder="answer: e.g. 500x2, none (default 200)")
                yield Input("", id="forge-callback-delay", placeholder="delay: e.g. 12s")
            with Horizontal(classes="row"):
                yield Label("delivery", classes="label")
                yield Select([("once", "once"), ("retries as the provider", "provider"),
                              ("twice (a duplicate)", "duplicate")], value="once", allow_blank=False,
                             id="forge-delivery")
                yield Input("1", id="forge-time-scale", placeholder="time scale: 0.01 compresses retries 100×")
            yield Label("body (JSON; a form template's fields are encoded as a form)")
            yield TextArea(self._body_text(), language="json", id="forge-body")
            with Horizontal(classes="row"):
                yield Button("Send", id="forge-send", variant="primary")
                yield Button("Probe", id="forge-probe")
                yield ErrorLine(id="forge-error")
        yield Footer()

    def _body_text(self) -> str:
        return json.dumps(self.template.build(time.time()), indent=2, ensure_ascii=False)

    @on(Select.Changed, "#forge-template")
    def template_changed(self, changed: Select.Changed) -> None:
        if changed.value == self.template.name:
            return
        self.template = get_template(str(changed.value))
        self.query_one("#forge-body", TextArea).text = self._body_text()
        self.query_one("#forge-scheme", Input).value = self.template.scheme or "none"

    @on(Button.Pressed, "#forge-send")
    def action_send(self) -> None:
        error = self.query_one("#forge-error", Static)
        try:
            data = json.loads(self.query_one("#forge-body", TextArea).text)
        except ValueError as exc:
            error.update(f"the body is not JSON: {exc}")
            return
        scheme = self.query_one("#forge-scheme", Input).value.strip() or "none"
        secret = self.query_one("#forge-secret", Input).value or (self.secret_for(scheme) if scheme != "none"
                                                                    else None)
        chosen = self.query_one("#forge-variant", Select).value
        variant = chosen if isinstance(chosen, str) and chosen else None  # "" is "signed correctly"
        spec = ForgeSpec(self.template, self.query_one("#forge-to", Input).value.strip() or self.default_to,
                         data=data, scheme=scheme, secret=secret, variant=variant, callback_base=self.callback_base)
        delivery = str(self.query_one("#forge-delivery", Select).value)
        try:
            plan = CallbackPlan.parse(self.query_one("#forge-callback-answer", Input).value,
                                      self.query_one("#forge-callback-delay", Input).value)
            forged = forge(spec)
            scale = parse_time_scale(self.query_one("#forge-time-scale", Input).value.strip() or "1")
            if delivery == "provider":
                schedule_for(forged.scheme)  # a provider without a schedule is said here
        except (ForgeError, OverrideError, SchemeError, SecretError, PlanError, LookupError, ValueError) as exc:
            error.update(str(exc))
            return
        if delivery != "once" and variant:
            error.update("a broken variant is sent once: choose `once`")
            return
        self.dismiss(ForgeChoice(forged, plan, delivery=delivery, time_scale=scale))

    @on(Button.Pressed, "#forge-probe")
    def action_probe(self) -> None:
        """Probe with fresh events of the template (each needs its own channel), the URL, scheme and secret."""
        error = self.query_one("#forge-error", Static)
        scheme = self.query_one("#forge-scheme", Input).value.strip() or "none"
        if scheme == "none":
            error.update("probe checks a signature: choose a scheme")
            return
        secret = self.query_one("#forge-secret", Input).value or self.secret_for(scheme)
        spec = ForgeSpec(self.template, self.query_one("#forge-to", Input).value.strip() or self.default_to,
                         scheme=scheme, secret=secret, callback_base=self.callback_base)
        try:
            forge(spec)
        except (ForgeError, OverrideError, SchemeError, SecretError) as exc:
            error.update(str(exc))
            return
        self.dismiss(ForgeChoice(probe=spec))

