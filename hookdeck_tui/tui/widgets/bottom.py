"""The bottom tabs: Workflows (recent runs; the highlighted one's timeline beside them), Tunnels (status, public
URL, last error and recent log of each; the highlighted one is what `t` restarts and `u` copies), and Log (the
engine's log lines: workflow `logger` jobs, tunnel output, errors)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, RichLog, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from hookdeck_tui.console.types import RunReads, RunRecord
from hookdeck_tui.formatting import local_time, run_state
from hookdeck_tui.tui.rendering import RUN_STYLES, inert, run_timeline

TUNNEL_STYLES = {"online": "green", "failed": "red", "stopped": "grey50"}


class BottomTabs(Vertical):
    def __init__(self, store: RunReads, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.tunnels: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        with TabbedContent(id="bottom-tabs"):
            with TabPane("Workflows", id="tab-runs"), Horizontal():
                yield OptionList(id="runs")
                with VerticalScroll(id="run-detail"):
                    yield Static("no runs yet: a trigger route starts one, `hooktui run` another", id="run-timeline",
                                 markup=False)
            with TabPane("Tunnels", id="tab-tunnels"), Vertical():
                yield OptionList(id="tunnels")
                yield Static("no tunnels (start one with --tunnel, or `gateway:` in the config)", id="no-tunnels",
                             markup=False)
            with TabPane("Log", id="tab-log"):
                yield RichLog(id="log", max_lines=2000, wrap=True)

    # --- workflows ---------------------------------------------------------------------------------------------
    def refresh_runs(self) -> None:
        """Re-list the newest runs, keeping the highlighted one, and redraw its timeline."""
        runs = self.store.runs(50)
        if not runs:
            return
        options = self.query_one("#runs", OptionList)
        keep = self.highlighted_run()
        options.clear_options()
        for run in runs:
            line = Text(f"{local_time(run.started_at, with_date=False)[:8]} {run.id} {run.workflow[:12]:<12} ",
                        "grey70")
            line.append(*_run_state(self.store, run))
            options.add_option(Option(line, id=run.id))
        ids = [run.id for run in runs]
        options.highlighted = ids.index(keep) if keep in ids else 0
        self.show_run(options.get_option_at_index(options.highlighted).id)

    def highlighted_run(self) -> str | None:
        options = self.query_one("#runs", OptionList)
        if options.highlighted is None or not options.option_count:
            return None
        return options.get_option_at_index(options.highlighted).id

    def show_run(self, run_id: str | None) -> None:
        runs = self.store.runs(run_ids=[run_id]) if run_id else []
        if runs:
            self.query_one("#run-timeline", Static).update(run_timeline(self.store, runs[0], detail_width=100))

    @on(OptionList.OptionHighlighted, "#runs")
    def _run_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        self.show_run(message.option.id)

    # --- tunnels -----------------------------------------------------------------------------------------------
    def tunnel_changed(self, state: dict, log_tail: list[str]) -> None:
        self.tunnels[state["name"]] = {**state, "log": log_tail}
        options = self.query_one("#tunnels", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for tunnel in self.tunnels.values():
            options.add_option(Option(_tunnel_text(tunnel), id=tunnel["name"]))
        options.highlighted = highlighted if highlighted is not None and highlighted < len(self.tunnels) else 0
        self.query_one("#no-tunnels", Static).display = False

    def selected_tunnel(self) -> dict | None:
        """The highlighted tunnel, or the only one."""
        options = self.query_one("#tunnels", OptionList)
        if not options.option_count:
            return None
        return self.tunnels.get(options.get_option_at_index(options.highlighted or 0).id)

    # --- log ---------------------------------------------------------------------------------------------------
    def log(self, level: str, message: str) -> None:
        style = {"error": "red", "warning": "yellow"}.get(level, "")
        self.query_one("#log", RichLog).write(Text(f"{level:<7} ", style) + inert(message))


def _run_state(store: RunReads, run: RunRecord) -> tuple[str, str]:
    """The run's status as shown (`waiting` for a callback), with its colour."""
    state = run_state(run, store.job_states(run.id) if run.status == "running" else [])
    return state, "cyan" if state == "waiting" else RUN_STYLES.get(state, "")


def _tunnel_text(tunnel: dict) -> Text:
    text = Text()
    text.append(f"{tunnel['name']:<18} ", "bold")
    text.append(tunnel["status"], TUNNEL_STYLES.get(tunnel["status"], "yellow"))
    if tunnel.get("public_url"):
        text.append(f"  {tunnel['public_url']}", "green")
    if tunnel.get("restarts"):
        text.append(f"  ({tunnel['restarts']} restarts)", "grey58")
    if tunnel.get("last_error"):
        text.append("\n    last error: ", "grey58")
        text.append_text(inert(tunnel["last_error"]))
    for line in tunnel["log"][-4:]:
        text.append("\n    ")
        text.append_text(inert(line))
    return text
