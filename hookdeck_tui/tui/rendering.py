"""Rendering shared by the panes: request text shown inert, key/value rows with aligned labels, nested values in one
short line, and a workflow run as a timeline — its state, then one line per job state (time, state, job, what it
means in a few words: started, requesting, waiting for a callback, resumed, output, failed)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from hookdeck_tui.console.types import JobState, RunReads, RunRecord
from hookdeck_tui.formatting import local_time, terminal_safe
from hookdeck_tui.tui.theme_styles import DARK, Palette

LABEL_WIDTH = 10
NARROW_VALUE = 16  # a Grid narrower than its leading columns and this much for the last one stacks its rows


def inert(text: str) -> Text:
    """Text from a request, shown as itself: control characters (terminal escapes) are made visible, never run."""
    return Text(terminal_safe(text))


def compact(value: Any, width: int = 120) -> str:
    """A nested value on one line (JSON without spaces after separators), cut at `width` with `…`."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str,
                                                           separators=(", ", ": "))
    return text if len(text) <= width else text[:width - 1] + "…"


class Grid:
    """Rows of cells in aligned columns, the last one taking what is left and wrapping inside its own column (a long
    value never runs back under the labels). `str()` gives the same layout as plain text, for tests and copies."""

    def __init__(self, rows: Sequence[Sequence[Text]], min_widths: Sequence[int] = ()) -> None:
        self.rows = [list(row) for row in rows]
        self.min_widths = list(min_widths)

    def _widths(self) -> list[int]:
        columns = max((len(row) for row in self.rows), default=0)
        widths = [max([cell.cell_len for row in self.rows if len(row) > index for cell in row[index].split()] or [0])
                  for index in range(columns - 1)]
        return [max(width, self.min_widths[i] if i < len(self.min_widths) else 0) for i, width in enumerate(widths)]

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2, 0, 0))
        for width in self._widths():
            table.add_column(no_wrap=True, min_width=width)
        table.add_column(overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self._widths()
        if options.max_width >= sum(widths) + 2 * len(widths) + NARROW_VALUE:
            yield self._table()
            return
        for row in self.rows:  # too narrow for columns: the leading cells on a line, the last one under them
            yield Text("  ").join(cell for cell in row[:-1] if cell.plain.strip())
            yield Text("    ").append_text(row[-1]) if row and row[-1].plain else Text()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._table())

    def __str__(self) -> str:
        widths = self._widths()
        lines = []
        for row in self.rows:
            head = "".join(str(cell.plain).ljust(widths[i]) + "  " for i, cell in enumerate(row[:-1]))
            for number, line in enumerate(row[-1].plain.split("\n") if row else [""]):
                lines.append((head if number == 0 else " " * len(head)) + line)
        return "\n".join(lines)


class Block:
    """Renderables one under the other (a heading, a grid, a timeline); `str()` joins their plain text."""

    def __init__(self, *parts: Text | Grid | Block) -> None:
        self.parts = list(parts)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.parts

    def __str__(self) -> str:
        return "\n".join(part.plain if isinstance(part, Text) else str(part) for part in self.parts)


def cell(value: str | Text) -> Text:
    return value if isinstance(value, Text) else inert(str(value))


def kv_rows(rows: Iterable[tuple[str, str | Text]], palette: Palette, *, width: int = LABEL_WIDTH) -> Grid:
    """`Label     value` rows, labels muted and aligned, each value wrapping in its own column."""
    return Grid([(Text(label, palette.style("label")), cell(value)) for label, value in rows], [width])


RUN_STYLES = {"succeeded": "ok", "running": "warn", "failed": "bad", "timed_out": "bad", "cancelled": "muted",
              "waiting": "info"}
"""The role of each run status's colour (theme_styles.Palette.style)."""


def run_heading(run: RunRecord, palette: Palette = DARK) -> Text:
    text = Text()
    status = run.status
    text.append(f"run {run.id}  {run.workflow}  ", "bold")
    text.append(status, palette.style(RUN_STYLES.get(status, "plain")))
    if run.trigger_event:
        text.append(f"  (event #{run.trigger_event})", palette.style("muted"))
    if run.error:
        text.append("  ")
        text.append_text(inert(run.error))
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


def timeline_lines(states: Sequence[JobState], palette: Palette = DARK, *, detail_width: int = 100) -> Grid:
    """One row per job state: time, state, job, short detail."""
    rows = []
    for state in states:
        name = state.state
        rows.append((Text(f"  {local_time(state.at, with_date=False)}", palette.style("muted")),
                     Text(name, palette.style(STATE_ROLES.get(name, "strong"))),
                     Text(str(state.job_id), "bold"),
                     inert(state_summary(name, state.detail, detail_width))))
    return Grid(rows, [0, 10, 8])


def run_timeline(store: RunReads, run: RunRecord, palette: Palette = DARK, *, detail_width: int = 100) -> Block:
    parts: list[Text | Grid | Block] = [run_heading(run, palette)]
    states = store.job_states(run.id)
    if states:
        parts.append(timeline_lines(states, palette, detail_width=detail_width))
    if run.output is not None and run.status == "succeeded":
        output = Text("  output  ", palette.style("ok"))
        output.append_text(inert(compact(run.output, detail_width * 2)))
        parts.append(output)
    return Block(*parts)
