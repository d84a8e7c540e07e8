"""`?`: every key and what it does, from the bindings themselves (so the help can never drift from the keys). The
list is longer than a small terminal: it scrolls (arrows, PgUp/PgDn, Home/End, the wheel)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

LIST_KEYS = [("↑ ↓  j k", "move in the event list"), ("PgUp PgDn", "a page up or down"),
             ("Home End", "the first or the newest event"),
             ("Tab", "move between panes (in the detail's tab strip, ← → change tab)"),
             ("ctrl+p", "command palette"), ("ctrl+q", "quit")]
DIALOG_KEYS = [("ctrl+s", "edit & replay, forge: send"), ("ctrl+r", "forge: probe the app"),
               ("Tab", "dialogs: the next field (shift+Tab: the previous one)"),
               ("Esc", "close a dialog or this help; in the filter line, clear the filter"),
               ("Enter", "filter line: apply the filter and hide the line; export: write the file")]


def key_label(binding: Binding) -> str:
    """`q  ctrl+c` for a binding of two keys, `[` for left_square_bracket."""
    return binding.key_display or "  ".join(format_key(key) for key in binding.key.split(","))


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")]

    def __init__(self, bindings: Sequence[BindingType]) -> None:
        super().__init__()
        self.bindings = [binding for binding in bindings if isinstance(binding, Binding)]  # the app's are Bindings

    def compose(self) -> ComposeResult:
        table = Table(title="hooktui keys", show_header=False, box=None, padding=(0, 1), expand=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        for binding in self.bindings:
            table.add_row(f"[bold]{key_label(binding)}[/]", binding.description, f"[grey58]{binding.tooltip}[/]")
        for key, what in LIST_KEYS + DIALOG_KEYS:
            table.add_row(f"[bold]{key}[/]", "", f"[grey58]{what}[/]")
        with VerticalScroll(id="help", classes="dialog"):
            yield Static(table, id="help-keys")
            yield Static("[grey58]↑ ↓ PgUp PgDn scroll · Esc closes[/]", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help").focus()  # the arrows scroll the list at once
