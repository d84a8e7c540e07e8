"""The body of a form dialog (edit & replay, forge, export): it scrolls when the terminal is shorter than the form
(the wheel, or Tab to a field below), but takes no focus itself, so the first field has it when the dialog opens."""

from __future__ import annotations

from textual.containers import VerticalScroll


class DialogScroll(VerticalScroll, can_focus=False):
    pass
