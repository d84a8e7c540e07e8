"""Rendering shared by the panes: request text shown inert, key/value rows with aligned labels, nested values in one
short line, and a workflow run as a timeline — its state, then one line per job state (time, state, job, what it
means in a few words: started, requesting, waiting for a callback, resumed, output, failed)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from rich.text import Text

from hookdeck_tui.formatting import local_time, terminal_safe
from hookdeck_tui.store import Store
from hookdeck_tui.tui.theme_styles import DARK, Palette

LABEL_WIDTH = 10


def inert(text: str) -> Text:
    """Text from a request, shown as itself: control characters (terminal escapes) are made visible, never run."""
    return Text(terminal_safe(text))


def value_of(record: Any, name: str, default: Any = None) -> Any:
    """A field of a stored record, whether the store hands it out as a dict or as a dataclass."""
    if record is None:
        return default
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def compact(value: Any, width: int = 120) -> str:
    """A nested value on one line (JSON without spaces after separators), cut at `width` with `…`."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str,
                                                           separators=(", ", ": "))
    return text if len(text) <= width else text[:width - 1] + "…"


def kv_rows(rows: Iterable[tuple[str, str | Text]], palette: Palette, *, width: int = LABEL_WIDTH) -> Text:
    """`Label     value` lines, labels muted and aligned; a multi-line value keeps its lines under the value column."""
    text = Text()
    for index, (label, value) in enumerate(rows):
        if index:
            text.append("\n")
        text.append(f"{label:<{width}}  ", palette.style("label"))
        shown = value if isinstance(value, Text) else inert(str(value))
        lines = shown.split("\n", allow_blank=True)
        for number, line in enumerate(lines):
            if number:
                text.append("\n" + " " * (width + 2))
            text.append_text(line)
    return text


RUN_STYLES = {"succeeded": "ok", "running": "warn", "failed": "bad", "timed_out": "bad", "cancelled": "muted",
              "waiting": "info"}
"""The role of each run status's colour (theme_styles.Palette.style)."""


def run_heading(run: Any, palette: Palette = DARK) -> Text:
    text = Text()
    status = value_of(run, "status")
    text.append(f"run {value_of(run, 'id')}  {value_of(run, 'workflow')}  ", "bold")
    text.append(status, palette.style(RUN_STYLES.get(status, "plain")))
    if value_of(run, "trigger_event"):
        text.append(f"  (event #{value_of(run, 'trigger_event')})", palette.style("muted"))
    if value_of(run, "error"):
        text.append("  ")
        text.append_text(inert(value_of(run, "error")))
    return text


STATE_ROLES = {"succeeded": "ok", "failed": "bad", "timed_out": "bad", "callback_failed": "bad", "waiting": "info",
               "resumed": "info", "retrying": "warn", "fallback": "warn"}


def state_summary(state: str, detail: Any, width: int = 100) -> str:
    """What a job state's detail means, in a few words (the stored detail is a dict whose keys depend on the state);
    an unknown shape is shown compactly."""
    if not isinstance(detail, dict) or not detail:
        return "" if detail in (None, {}, "") else compact(detail, width)
    d = detail
    if state == "running" and "attempt" in d:
        return f"attempt {d['attempt']} of {d.get('of', '?')}"
    if state == "requesting" and "url" in d:
        body = f"  {compact(d['body'], width)}" if d.get("body") not in (None, {}, "") else ""
        return compact(f"{d.get('method', '')} {d['url']}{body}", width)
    if state == "answered" and "status" in d:
        return compact(f"{d['status']} {compact(d.get('output'), width)}", width)
    if state == "waiting" and "key" in d:
        timeout = d.get("timeout_seconds")
        return f"for callback {d['key']}" + (f" (timeout {timeout:g} s)" if isinstance(timeout, int | float) else "")
    if state in ("resumed", "progress", "callback_failed"):
        parts = [str(d["status"])] if d.get("status") is not None else []
        if d.get("event") is not None:
            parts.append(f"event #{d['event']}")
        if d.get("result") is not None:
            parts.append(compact(d["result"], width))
        return compact(", ".join(parts), width)
    if state == "succeeded" and "output" in d:
        return compact(d["output"], width)
    if state == "retrying" and "in_seconds" in d:
        return f"in {d['in_seconds']:g} s" if isinstance(d["in_seconds"], int | float) else str(d["in_seconds"])
    if state == "fallback" and "job" in d:
        return f"→ job {d['job']}"
    if "reason" in d:
        return compact(str(d["reason"]) + (f" (attempt {d['attempt']})" if d.get("attempt") else ""), width)
    return compact(", ".join(f"{key}: {compact(value, width)}" for key, value in d.items()), width)


def timeline_lines(states: Sequence[Any], palette: Palette = DARK, *, detail_width: int = 100) -> Text:
    """One line per job state: time, state, job, short detail."""
    text = Text()
    for index, state in enumerate(states):
        name = value_of(state, "state")
        if index:
            text.append("\n")
        text.append(f"  {local_time(value_of(state, 'at'), with_date=False)}  ", palette.style("muted"))
        text.append(f"{name:<11}", palette.style(STATE_ROLES.get(name, "strong")))
        text.append(f" {value_of(state, 'job_id'):<12} ", "bold")
        text.append_text(inert(state_summary(name, value_of(state, "detail"), detail_width)))
    return text


def run_timeline(store: Store, run: Any, palette: Palette = DARK, *, detail_width: int = 100) -> Text:
    text = run_heading(run, palette)
    states = store.job_states(value_of(run, "id"))
    if states:
        text.append("\n")
        text.append_text(timeline_lines(states, palette, detail_width=detail_width))
    if value_of(run, "output") is not None and value_of(run, "status") == "succeeded":
        text.append("\n  output         ", palette.style("ok"))
        text.append_text(inert(compact(value_of(run, "output"), detail_width * 2)))
    return text
