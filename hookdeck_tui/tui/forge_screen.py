"""`s`: forge an event — pick a template, edit its JSON, choose the scheme, secret and variant, send. A ModelRiver
`task.ai_generated` event's callback comes back to this console, which shows the round trip."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from hookdeck_tui.forge.build import VARIANTS, Forged, ForgeError, ForgeSpec, forge
from hookdeck_tui.forge.overrides import OverrideError
from hookdeck_tui.forge.templates import TEMPLATES, get_template
from hookdeck_tui.signatures import SchemeError
from hookdeck_tui.signatures.base import SecretError


class ForgeScreen(ModalScreen[Forged | None]):
    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="forge.cancel"),
                Binding("ctrl+s", "send", "Send", id="forge.send")]

    def __init__(self, default_to: str, callback_base: str, secret_for: Callable[[str], str | None],
                 template: str = "modelriver.task_ai_generated") -> None:
        super().__init__()
        self.default_to, self.callback_base, self.secret_for = default_to, callback_base, secret_for
        self.template = get_template(template)

    def compose(self) -> ComposeResult:
        with Vertical(id="forge"):
            yield Static("Forge an event — ctrl+s sends, Esc cancels. A bare URL gets the template's path.",
                         markup=False)
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
            yield Label("body (JSON; a form template's fields are encoded as a form)")
            yield TextArea(self._body_text(), language="json", id="forge-body")
            with Horizontal(classes="row"):
                yield Button("Send", id="forge-send", variant="primary")
                yield Static("", id="forge-error", markup=False)

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
        variant = self.query_one("#forge-variant", Select).value or None
        spec = ForgeSpec(self.template, self.query_one("#forge-to", Input).value.strip() or self.default_to,
                         data=data, scheme=scheme, secret=secret, variant=variant, callback_base=self.callback_base)
        try:
            forged = forge(spec)
        except (ForgeError, OverrideError, SchemeError, SecretError) as exc:
            error.update(str(exc))
            return
        self.dismiss(forged)
