"""The bottom tabs: Workflows (recent runs and their state), Tunnels (status, public URL, last error, recent log),
and Log (the engine's log lines: workflow `logger` jobs, tunnel output, errors)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import RichLog, Static, TabbedContent, TabPane

from hookdeck_tui.formatting import local_time
from hookdeck_tui.store import Store
from hookdeck_tui.tui.widgets.detail import inert

RUN_STYLES = {"succeeded": "green", "running": "yellow", "failed": "red", "timed_out": "red", "cancelled": "grey50"}


class BottomTabs(Vertical):
    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.tunnels: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        with TabbedContent(id="bottom-tabs"):
            with TabPane("Workflows", id="tab-runs"), VerticalScroll():
                yield Static("no runs yet", id="runs", markup=False)
            with TabPane("Tunnels", id="tab-tunnels"), VerticalScroll():
                yield Static("no tunnels (start one with --tunnel, or `gateway:` in the config)", id="tunnels",
                             markup=False)
            with TabPane("Log", id="tab-log"):
                yield RichLog(id="log", max_lines=2000, wrap=True)

    def refresh_runs(self) -> None:
        runs = self.store.runs(20)
        if not runs:
            return
        text = Text()
        for run in runs:
            text.append(f"{local_time(run['started_at'], with_date=False)}  {run['id']}  {run['workflow']:<20} ",
                        "grey70")
            text.append(run["status"], RUN_STYLES.get(run["status"], ""))
            if run.get("error"):
                text.append("  ")
                text.append_text(inert(run["error"][:200]))
            text.append("\n")
        self.query_one("#runs", Static).update(text)

    def tunnel_changed(self, state: dict, log_tail: list[str]) -> None:
        self.tunnels[state["name"]] = {**state, "log": log_tail}
        text = Text()
        for tunnel in self.tunnels.values():
            text.append(f"{tunnel['name']:<18} ", "bold")
            text.append(tunnel["status"], "green" if tunnel["status"] == "online" else "red"
                        if tunnel["status"] == "failed" else "yellow")
            if tunnel.get("public_url"):
                text.append(f"  {tunnel['public_url']}", "green")
            if tunnel.get("last_error"):
                text.append("\n    last error: ", "grey58")
                text.append_text(inert(tunnel["last_error"]))
            for line in tunnel["log"][-5:]:
                text.append("\n    ")
                text.append_text(inert(line))
            text.append("\n")
        self.query_one("#tunnels", Static).update(text)

    def log(self, level: str, message: str) -> None:
        style = {"error": "red", "warning": "yellow"}.get(level, "")
        self.query_one("#log", RichLog).write(Text(f"{level:<7} ", style) + inert(message))
