"""The filter line (`/`): on screen only while it has the focus. Once Enter applied the filter (or anything else took
the focus), it hides, and the event list's title says which filter is applied — an input left on screen but
unfocused looked like it still took the typing, while each key ran a command. `/` brings it back with its text."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from hookdeck_tui.console.types import EventWindow


class FilterInput(Input):
    def __init__(self, window: EventWindow, **kwargs) -> None:
        super().__init__(**kwargs)
        self.window = window  # whose filter is the applied one

    def on_blur(self, event: events.Blur) -> None:
        self.remove_class("shown")
        events_list = self.screen.query_one("#events")
        applied = self.window.filters.query()
        events_list.border_title = f"filter: {applied}  (/ edits it)" if applied else None
