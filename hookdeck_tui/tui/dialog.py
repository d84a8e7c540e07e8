"""Pieces of the form dialogs (edit & replay, forge, export). Their body scrolls when the terminal is shorter than
the form (the wheel, or Tab to a field below) but takes no focus itself, so the first field has it when the dialog
opens; their error line scrolls into sight when it says something, wherever the focus was."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.visual import VisualType
from textual.widgets import Static


class DialogScroll(VerticalScroll, can_focus=False):
    pass


class ErrorLine(Static):
    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(content, layout=layout)
        if content:
            self.call_after_refresh(self.scroll_visible, animate=False)
