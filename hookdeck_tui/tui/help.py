"""`?`: every key and what it does, from the bindings themselves (so the help can never drift from the keys)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

LIST_KEYS = [("↑ ↓  j k", "move in the event list"), ("PgUp PgDn  Home End", "jump"),
             ("Tab", "move between panes"), ("ctrl+p", "command palette")]


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        table = Table(title="hooktui keys", show_header=False, box=None, padding=(0, 2))
        for binding in self.bindings:
            key = {"slash": "/", "question_mark": "?"}.get(binding.key, binding.key)
            table.add_row(f"[bold]{key}[/]", binding.description, f"[grey58]{binding.tooltip}[/]")
        for key, what in LIST_KEYS:
            table.add_row(f"[bold]{key}[/]", what, "")
        with Vertical(id="help"):
            yield Static(table)
            yield Static("[grey58]Esc closes[/]")
