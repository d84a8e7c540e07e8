"""`x`: export the events the list shows (the current filter) to a HAR or NDJSON file — the format follows the
file name's extension. Writing happens off the UI thread, so a big export never freezes the console."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from hookdeck_tui.console import Console
from hookdeck_tui.console.types import EventFilter, format_for
from hookdeck_tui.tui.dialog import DialogScroll, ErrorLine


def default_export_name() -> str:
    return f"hooktui-{time.strftime('%Y%m%d-%H%M%S')}.har"


class ExportScreen(ModalScreen[str | None]):
    """Dismisses with a message saying what was written (or None when cancelled)."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="export.cancel")]

    def __init__(self, store: Console, filters: EventFilter, count: int, base_url: str) -> None:
        super().__init__()
        self.store, self.filters, self.count, self.base_url = store, filters, count, base_url

    def compose(self) -> ComposeResult:
        scope = "every event" if self.filters.is_empty else "the events the filter shows"
        with DialogScroll(id="export", classes="dialog"):
            yield Static(f"Export {scope} ({self.count}) to a file — .har for browser tools, .ndjson for hooktui "
                         "import and jq; credential headers are masked (`hooktui export --with-credentials` keeps "
                         "them).", markup=False)
            yield Input(default_export_name(), id="export-path")
            yield Static("Enter writes the file, Esc cancels", classes="hint", markup=False)
            yield ErrorLine(id="export-error")
        yield Footer()

    @on(Input.Submitted, "#export-path")
    async def write(self, submitted: Input.Submitted) -> None:
        path = Path(submitted.value.strip() or default_export_name()).expanduser()
        fmt = format_for(path)
        try:
            written = await asyncio.to_thread(self._write, path, fmt)
        except OSError as exc:
            self.query_one("#export-error", Static).update(f"cannot write {path}: {exc.strerror or exc}")
            return
        self.dismiss(f"exported {written} event{'' if written == 1 else 's'} to {path} ({fmt.upper()})")

    def _write(self, path: Path, fmt: str) -> int:
        with path.open("w", encoding="utf-8") as out:
            return self.store.export(out, fmt=fmt, filters=self.filters, base_url=self.base_url)
