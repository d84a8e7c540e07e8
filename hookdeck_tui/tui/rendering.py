"""Rendering shared by the panes: request text shown inert, and a workflow run as a timeline — its state, then each
job's states in order (started, waiting for a callback, progress, resumed, output, failed)."""

from __future__ import annotations

import json

from rich.text import Text

from hookdeck_tui.console.types import RunReads, RunRecord
from hookdeck_tui.formatting import local_time, terminal_safe


def inert(text: str) -> Text:
    """Text from a request, shown as itself: control characters (terminal escapes) are made visible, never run."""
    return Text(terminal_safe(text))


RUN_STYLES = {"succeeded": "green", "running": "yellow", "failed": "red", "timed_out": "red", "cancelled": "grey50"}


def run_heading(run: RunRecord) -> Text:
    text = Text()
    text.append(f"run {run.id}  {run.workflow}  ", "bold")
    text.append(run.status, RUN_STYLES.get(run.status, ""))
    if run.trigger_event:
        text.append(f"  (event #{run.trigger_event})", "grey58")
    if run.error:
        text.append("  ")
        text.append_text(inert(run.error))
    return text


def run_timeline(store: RunReads, run: RunRecord, *, detail_width: int = 160) -> Text:
    text = run_heading(run)
    for state in store.job_states(run.id):
        text.append(f"\n  {local_time(state.at, with_date=False)}  {state.job_id:<12} ", "grey70")
        text.append(f"{state.state:<10}", "bold")
        detail = state.detail
        if detail:
            text.append_text(inert(json.dumps(detail, ensure_ascii=False, default=str)[:detail_width]))
    if run.output is not None and run.status == "succeeded":
        text.append("\n  output  ", "green")
        text.append_text(inert(json.dumps(run.output, ensure_ascii=False, default=str)[:detail_width * 2]))
    return text
