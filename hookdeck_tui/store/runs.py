"""Workflow runs and the states their jobs went through, as the workflow engine records them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from hookdeck_tui.store.base import Row, StoreBase, execute
from hookdeck_tui.store.records import dumps, loads

FINISHED = ("succeeded", "failed", "timed_out", "cancelled")
_SAVE_RUN = (
    "INSERT INTO runs (id, workflow, status, input, output, error, trigger_event, started_at, updated_at, "
    "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status, "
    "output = coalesce(excluded.output, runs.output), error = coalesce(excluded.error, runs.error), "
    "updated_at = excluded.updated_at, finished_at = excluded.finished_at")
_RUN_COLUMNS = "id, workflow, status, input, output, error, trigger_event, started_at, updated_at, finished_at"


@dataclass(frozen=True)
class RunRecord:
    id: str
    workflow: str
    status: str
    input: Any
    output: Any
    error: str | None
    trigger_event: int | None
    started_at: float
    updated_at: float
    finished_at: float | None

    @classmethod
    def from_row(cls, row: Row) -> RunRecord:
        id_, workflow, status, input_, output, error, trigger_event, started_at, updated_at, finished_at = row
        return cls(id_, workflow, status, loads(input_), loads(output), error, trigger_event, started_at, updated_at,
                   finished_at)


@dataclass(frozen=True)
class JobState:
    """One state a job of a run entered (running, waiting, succeeded…), with what came with it."""

    job_id: str
    state: str
    at: float
    detail: Any


class RunRecords(StoreBase):
    async def save_run(self, run_id: str, workflow: str, status: str, *, input: Any = None, output: Any = None,
                       error: str | None = None, trigger_event: int | None = None) -> None:
        """Insert or update a workflow run (the workflow engine calls this on every state change)."""
        now = self.clock()
        finished = now if status in FINISHED else None
        await self._writer.submit_async(partial(execute, sql=_SAVE_RUN, params=(
            run_id, workflow, status, dumps(input), dumps(output), error, trigger_event, now, now, finished)))

    async def add_job_state(self, run_id: str, job_id: str, state: str, detail: Any = None) -> int:
        row_id: int = await self._writer.submit_async(partial(execute, sql=(
            "INSERT INTO job_states (run_id, job_id, state, at, detail) VALUES (?, ?, ?, ?, ?)"),
            params=(run_id, job_id, state, self.clock(), dumps(detail))))
        return row_id

    def runs(self, limit: int = 50, *, run_ids: list[str] | None = None) -> list[RunRecord]:
        """The newest runs, or the runs with these ids."""
        if run_ids is not None:
            marks = ", ".join("?" * len(run_ids))
            rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id IN ({marks}) ORDER BY started_at",
                               run_ids) if run_ids else []
        else:
            rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY started_at DESC LIMIT ?", (limit,))
        return [RunRecord.from_row(row) for row in rows]

    def job_states(self, run_id: str) -> list[JobState]:
        rows = self._query("SELECT job_id, state, at, detail FROM job_states WHERE run_id = ? ORDER BY id", (run_id,))
        return [JobState(job_id, state, at, loads(detail)) for job_id, state, at, detail in rows]
