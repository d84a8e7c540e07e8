"""`e`: edit a captured request — target, method, path, headers, body — and replay it, re-signed or as edited.
Fields left as they are stay byte-exact; a binary body cannot be edited here and goes out as captured."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static, TextArea

from hookdeck_tui.console.types import LISTENER, CapturedEvent, Edits


@dataclass
class ReplayRequest:
    to: str  # a URL, or LISTENER
    edits: Edits | None
    resign: bool


def headers_text(headers: list[tuple[str, str]]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers)


def parse_headers(text: str) -> list[tuple[str, str]]:
    headers = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or name != name.strip():
            raise ValueError(f"header line {number} is not 'Name: value': {line!r}")
        headers.append((name, value.strip()))
    return headers


class ReplayScreen(ModalScreen[ReplayRequest | None]):
    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="replay.cancel"),
                Binding("ctrl+s", "send", "Send", id="replay.send")]

    def __init__(self, event: CapturedEvent, default_to: str, scheme: str | None) -> None:
        super().__init__()
        self.event, self.default_to, self.scheme = event, default_to, scheme
        try:
            self.body_text = event.body.decode("utf-8")
        except UnicodeDecodeError:
            self.body_text = None

    def compose(self) -> ComposeResult:
        e = self.event
        with Vertical(id="replay"):
            yield Static(f"Edit and replay #{e.id} — ctrl+s sends, Esc cancels. `{LISTENER}` sends it back into "
                         "hooktui's own listener.", markup=False)
            with Horizontal(classes="row"):
                yield Label("to", classes="label")
                yield Input(self.default_to, id="replay-to")
            with Horizontal(classes="row"):
                yield Label("request", classes="label")
                yield Input(e.method, id="replay-method")
                yield Input(e.target, id="replay-target")
            yield Label("headers (credentials shown: you are editing what is sent)")
            yield TextArea(headers_text(e.headers), id="replay-headers")
            yield Label("body" if self.body_text is not None else "body: binary, sent as captured")
            yield TextArea(self.body_text if self.body_text is not None else e.body.hex(" "), id="replay-body",
                           read_only=self.body_text is None)
            with Horizontal(classes="row"):
                yield Checkbox(f"re-sign with a fresh timestamp ({self.scheme or 'no scheme known'})",
                               value=False, id="replay-resign", disabled=self.scheme is None)
                yield Button("Send", id="replay-send", variant="primary")
            yield Static("", id="replay-error", markup=False)

    @on(Button.Pressed, "#replay-send")
    def action_send(self) -> None:
        e = self.event
        try:
            headers = parse_headers(self.query_one("#replay-headers", TextArea).text)
        except ValueError as exc:
            self.query_one("#replay-error", Static).update(str(exc))
            return
        method = self.query_one("#replay-method", Input).value.strip().upper() or e.method
        target = self.query_one("#replay-target", Input).value.strip() or e.target
        if not target.startswith("/"):
            self.query_one("#replay-error", Static).update("the path must start with /")
            return
        body = None
        if self.body_text is not None:
            text = self.query_one("#replay-body", TextArea).text
            body = None if text == self.body_text else text.encode("utf-8")
        edits = Edits(method=None if method == e.method else method, target=None if target == e.target else target,
                      headers=None if headers == e.headers else headers, body=body)
        changed = any(value is not None for value in (edits.method, edits.target, edits.headers, edits.body))
        to = self.query_one("#replay-to", Input).value.strip() or self.default_to
        self.dismiss(ReplayRequest(to, edits if changed else None, self.query_one("#replay-resign", Checkbox).value))
