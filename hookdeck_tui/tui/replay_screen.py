"""`e`: edit a captured request — target, method, path, headers, body — and replay it, re-signed or as edited.
Fields left as they are stay byte-exact; a binary body cannot be edited here and goes out as captured."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Static, TextArea

from hookdeck_tui.console.types import LISTENER, CapturedEvent, Edits
from hookdeck_tui.tui.dialog import DialogScroll, ErrorLine


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


# captured verdicts that keep re-signing off by default, and why
NOT_RESIGNED = {"missing": "the captured request came without a signature, and a replay keeps it so",
                "invalid": "the captured signature was invalid, and a replay keeps it so",
                "malformed": "the captured signature was malformed, and a replay keeps it so",
                "unchecked": "the captured signature was not checked: no secret was known to check it, nor to "
                             "re-sign"}


class TickBox(Checkbox):
    """A checkbox drawn `[x]` / `[ ]`: the stock one draws the same mark in both states, in colours alone."""

    @property
    def _button(self) -> Content:
        return Content.styled("[x]" if self.value else "[ ]", self.get_visual_style("toggle--button"))


def resign_by_default(event: CapturedEvent, scheme: str | None, edited: bool) -> bool:
    """Re-sign when the request was edited (its captured signature no longer covers it) and it was signed with a
    scheme hooktui knows and checked (so a secret is known). Not when it came without a signature, or with a wrong
    one: a replay keeps that as it was. Unedited, a replay is byte-exact, its signature included."""
    verdict = event.signature.status if event.signature else "missing"
    return edited and scheme is not None and verdict not in NOT_RESIGNED


class ReplayScreen(ModalScreen[ReplayRequest | None]):
    BINDINGS = [Binding("ctrl+s", "send", "Send", id="replay.send"),
                Binding("escape", "dismiss", "Cancel", id="replay.cancel")]

    def __init__(self, event: CapturedEvent, default_to: str, scheme: str | None) -> None:
        super().__init__()
        self.event, self.default_to, self.scheme = event, default_to, scheme
        self.resign_chosen = False  # the user ticked or unticked it: edits no longer change it
        self.body_text: str | None
        try:
            self.body_text = event.body.decode("utf-8")
        except UnicodeDecodeError:
            self.body_text = None

    def compose(self) -> ComposeResult:
        e = self.event
        with DialogScroll(id="replay", classes="dialog"):
            yield Static(f"Edit and replay #{e.id}. `{LISTENER}` sends it back into hooktui's own listener.",
                         markup=False)
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
                yield TickBox(self._resign_label(), value=False, id="replay-resign", disabled=self.scheme is None)
                yield Button("Send", id="replay-send", variant="primary")
            yield Static(self._resign_hint(False), id="replay-resign-hint", classes="hint", markup=False)
            yield ErrorLine(id="replay-error")
        yield Footer()

    def _resign_label(self) -> str:
        return f"re-sign with a fresh signature ({self.scheme})" if self.scheme else \
            "re-sign: no signature scheme recognised"

    def _resign_hint(self, edited: bool) -> str:
        verdict = self.event.signature.status if self.event.signature else "missing"
        if self.scheme is None:
            return "sent with the headers as they are"
        if verdict in NOT_RESIGNED:
            return f"off: {NOT_RESIGNED[verdict]} (space ticks it)"
        if edited:
            return "on: the request was edited, and its captured signature no longer matches it"
        return "off while nothing is edited (a byte-exact replay); on once the request is edited"

    def _edited(self) -> bool:
        e = self.event
        try:
            headers = parse_headers(self.query_one("#replay-headers", TextArea).text)
        except ValueError:
            headers = None
        body = self.query_one("#replay-body", TextArea).text
        return (headers != e.headers or (self.body_text is not None and body != self.body_text)
                or self.query_one("#replay-method", Input).value.strip().upper() != e.method
                or self.query_one("#replay-target", Input).value.strip() != e.target)

    @on(TextArea.Changed)
    @on(Input.Changed, "#replay-method, #replay-target")
    def request_edited(self) -> None:
        """Until the user decides, re-signing follows the edits (resign_by_default)."""
        if self.resign_chosen:
            return
        resign = self.query_one("#replay-resign", TickBox)
        wanted = resign_by_default(self.event, self.scheme, self._edited())
        if resign.value != wanted:
            with resign.prevent(Checkbox.Changed):
                resign.value = wanted
        self.query_one("#replay-resign-hint", Static).update(self._resign_hint(self._edited()))

    @on(Checkbox.Changed, "#replay-resign")
    def resign_toggled(self) -> None:
        self.resign_chosen = True
        self.query_one("#replay-resign-hint", Static).update("your choice: edits no longer change it")

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
