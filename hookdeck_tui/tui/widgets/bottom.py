"""The bottom tabs: Workflows (the stored runs, newest first — from earlier sessions and `hooktui run` too; the
highlighted one's timeline beside them), Tunnels (status, public URL, last error and recent log of each; the
highlighted one is what `t` restarts and `u` copies), and Log (the engine's log lines — workflow `logger` jobs, tunnel
output — and the console's own messages: what an action did, errors). Colours follow the app's theme."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.theme import Theme
from textual.widgets import OptionList, RichLog, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from hookdeck_tui.console.types import RunReads, RunRecord
from hookdeck_tui.formatting import local_time, run_state
from hookdeck_tui.tui.rendering import RUN_STYLES, inert, run_timeline
from hookdeck_tui.tui.theme_styles import Palette, palette_of

TUNNEL_ROLES = {"online": "ok", "failed": "bad", "stopped": "muted"}
LOG_ROLES = {"error": "bad", "warning": "warn"}
LOG_LINES = 2000
RUNS_POLL_EVERY = 2.0  # runs another process stores (`hooktui run`, a second console) send this one no message
NO_RUNS = "no runs yet: a trigger route starts one, `hooktui run` another"


class BottomTabs(Vertical):
    def __init__(self, store: RunReads, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.tunnels: dict[str, dict] = {}
        self._log_lines: deque[tuple[float, str, str]] = deque(maxlen=LOG_LINES)  # redrawn when the theme changes
        self._newest_run: tuple[tuple[Any, Any, Any], ...] = ()  # the newest stored run when last listed

    def compose(self) -> ComposeResult:
        with TabbedContent(id="bottom-tabs"):
            with TabPane("Workflows", id="tab-runs"), Horizontal():
                yield OptionList(id="runs")
                with VerticalScroll(id="run-detail"):
                    yield Static(NO_RUNS, id="run-timeline", markup=False)
            with TabPane("Tunnels", id="tab-tunnels"), Vertical():
                yield OptionList(id="tunnels")
                yield Static("no tunnels (start one with --tunnel, or `gateway:` in the config)", id="no-tunnels",
                             markup=False)
            with TabPane("Log", id="tab-log"):
                yield RichLog(id="log", max_lines=LOG_LINES, wrap=True)

    def on_mount(self) -> None:  # the runs already stored are listed when the Workflows tab opens (it does at mount)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.set_interval(RUNS_POLL_EVERY, self._poll_runs)

    def _poll_runs(self) -> None:
        """Re-list the runs when the newest stored one changed and the Workflows tab is in view (one small query)."""
        if self.query_one("#bottom-tabs", TabbedContent).active != "tab-runs":
            return
        if self._newest_run != _newest(self.store.runs(1)):
            self.refresh_runs()

    @on(TabbedContent.TabActivated, "#bottom-tabs")
    def _tab_opened(self, message: TabbedContent.TabActivated) -> None:
        if message.pane.id == "tab-runs":
            self.refresh_runs()

    def _palette(self) -> Palette:
        return palette_of(self.app)

    def _theme_changed(self, _theme: Theme) -> None:
        """Redraw what is shown in the new theme's colours."""
        self.refresh_runs()
        if self.tunnels:
            self._list_tunnels()
        log = self.query_one("#log", RichLog)
        log.clear()
        for line in self._log_lines:
            log.write(self._log_text(*line))

    # --- workflows ---------------------------------------------------------------------------------------------
    def refresh_runs(self) -> None:
        """Re-list the newest stored runs, keeping the highlighted one, and redraw its timeline."""
        runs = self.store.runs(50)
        self._newest_run = _newest(runs)
        if not runs:
            return
        palette = self._palette()
        options = self.query_one("#runs", OptionList)
        keep = self.highlighted_run()
        options.clear_options()
        for run in runs:
            run_id, workflow = run.id, run.workflow
            line = Text(f"{local_time(run.started_at, with_date=False)[:8]} {run_id} {workflow[:12]:<12} ",
                        palette.style("muted"))
            state = _run_state(self.store, run)
            line.append(state, palette.style(RUN_STYLES.get(state, "plain")))
            options.add_option(Option(line, id=run_id))
        ids = [run.id for run in runs]
        options.highlighted = ids.index(keep) if keep in ids else 0  # cleared above: its timeline is shown on the
        # OptionHighlighted this posts

    def highlighted_run(self) -> str | None:
        options = self.query_one("#runs", OptionList)
        if options.highlighted is None or not options.option_count:
            return None
        return options.get_option_at_index(options.highlighted).id

    def show_run(self, run_id: str | None) -> None:
        runs = self.store.runs(run_ids=[run_id]) if run_id else []
        if runs:
            self.query_one("#run-timeline", Static).update(run_timeline(self.store, runs[0], self._palette(),
                                                                        detail_width=100))

    @on(OptionList.OptionHighlighted, "#runs")
    def _run_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        self.show_run(message.option.id)

    # --- tunnels -----------------------------------------------------------------------------------------------
    def tunnel_changed(self, state: dict, log_tail: list[str]) -> None:
        self.tunnels[state["name"]] = {**state, "log": log_tail}
        self._list_tunnels()

    def _list_tunnels(self) -> None:
        options = self.query_one("#tunnels", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for tunnel in self.tunnels.values():
            options.add_option(Option(_tunnel_text(tunnel, self._palette()), id=tunnel["name"]))
        options.highlighted = highlighted if highlighted is not None and highlighted < len(self.tunnels) else 0
        self.query_one("#no-tunnels", Static).display = False

    def selected_tunnel(self) -> dict | None:
        """The highlighted tunnel, or the only one."""
        options = self.query_one("#tunnels", OptionList)
        if not options.option_count:
            return None
        return self.tunnels.get(options.get_option_at_index(options.highlighted or 0).id or "")

    # --- log ---------------------------------------------------------------------------------------------------
    def write_line(self, level: str, message: str) -> None:
        """One line in the Log tab: `level` (info, warning, error, tunnel, an action's title) then the message."""
        line = (time.time(), level, message)
        self._log_lines.append(line)
        self.query_one("#log", RichLog).write(self._log_text(*line))

    def _log_text(self, at: float, level: str, message: str) -> Text:
        palette = self._palette()
        text = Text(local_time(at, with_date=False)[:8] + " ", palette.style("muted"))
        text.append(f"{level:<7} ", palette.style(LOG_ROLES.get(level.lower(), "muted")))
        return text + inert(message)


def _newest(runs: list[Any]) -> tuple[tuple[Any, Any, Any], ...]:
    """What tells that the newest run changed: its id, status and last update."""
    return tuple((run.id, run.status, run.updated_at) for run in runs[:1])


def _run_state(store: RunReads, run: RunRecord) -> str:
    """The run's status as shown (`waiting` for a callback)."""
    running = run.status == "running"
    return run_state(run, store.job_states(run.id) if running else [])


def _tunnel_text(tunnel: dict, palette: Palette) -> Text:
    text = Text()
    text.append(f"{tunnel['name']:<18} ", "bold")
    text.append(tunnel["status"], palette.style(TUNNEL_ROLES.get(tunnel["status"], "warn")))
    if tunnel.get("public_url"):
        text.append(f"  {tunnel['public_url']}", palette.style("ok"))
    if tunnel.get("restarts"):
        text.append(f"  ({tunnel['restarts']} restarts)", palette.style("muted"))
    if tunnel.get("last_error"):
        text.append("\n    last error: ", palette.style("muted"))
        text.append_text(inert(tunnel["last_error"]))
    for line in tunnel["log"][-4:]:
        text.append("\n    ")
        text.append_text(inert(line))
    return text
