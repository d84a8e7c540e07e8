"""`hooktui runs`: the workflow runs in the capture store, and one run's timeline, without starting anything —
what the console's Workflows pane shows, for a terminal without the console or for a script (--json)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

from hookdeck_tui.formatting import local_time, run_state, terminal_safe
from hookdeck_tui.store import RunRecord, Store


def run_runs(store: Store, *, run_id: str | None, limit: int, as_json: bool) -> int:
    if run_id is None:
        return _list(store, limit, as_json)
    run = _find(store, run_id)
    if run is None:
        print(f"hooktui runs: no run {run_id} in {store.path} (`hooktui runs` lists them)", file=sys.stderr)
        return 1
    states = store.job_states(run.id)
    if as_json:
        print(json.dumps({**asdict(run), "state": run_state(run, states), "timeline": [asdict(s) for s in states]},
                         ensure_ascii=False, indent=2, default=str))
        return 0
    print(_heading(run, run_state(run, states)))
    for state in states:
        offset = state.at - run.started_at
        detail = _inline(state.detail) if state.detail else ""
        print(f"  {f'+{offset:.3f}s':<10} {state.job_id:<14} {state.state:<12} {detail}".rstrip())
    if run.output is not None and run.status == "succeeded":
        print(f"  output: {_inline(run.output)}")
    return 0


def _list(store: Store, limit: int, as_json: bool) -> int:
    runs = list(reversed(store.runs(limit=limit)))
    for run in runs:
        state = run_state(run, store.job_states(run.id) if run.status == "running" else [])
        if as_json:
            print(json.dumps({**asdict(run), "state": state}, ensure_ascii=False, default=str))
        else:
            print(_heading(run, state))
    if not runs and not as_json:
        print("no workflow runs yet", file=sys.stderr)
    return 0


def _heading(run: RunRecord, state: str) -> str:
    finished = run.finished_at
    took = f"  {finished - run.started_at:.2f} s" if finished else ""
    trigger = f"  (event #{run.trigger_event})" if run.trigger_event else ""
    error = f"  {terminal_safe(run.error)}" if run.error else ""
    return (f"{run.id}  {local_time(run.started_at)}  {run.workflow:<16} {state:<10}"
            f"{took}{trigger}{error}")


def _find(store: Store, run_id: str) -> RunRecord | None:
    """The run with this id; `run_` may be left off, as the console shows ids in full."""
    for candidate in (run_id, f"run_{run_id}"):
        found = store.runs(run_ids=[candidate])
        if found:
            return found[0]
    return None


def _inline(value: Any, width: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=True, default=str)  # escapes every control character a body may carry
    return text if len(text) <= width else text[:width - 1] + "…"

