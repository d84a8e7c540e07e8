"""The interface between listener routes and workflow runs. A callback route *delivers* a result to a run waiting
on a key; a trigger route *starts* a run. Both get the captured event (its `id` is set once it is committed).
`runner.WorkflowRunner` implements it."""

from __future__ import annotations

from typing import Any, Protocol

from hookdeck_tui.store import CapturedEvent


class WorkflowEngine(Protocol):
    async def deliver_callback(self, *, route: str, key: Any, outcome: str, status: Any, result: Any,
                               event: CapturedEvent) -> dict[str, Any]:
        """Hand a callback to the run waiting on `key`; returns what happened (delivered, buffered, no waiter)."""

    async def start_run(self, *, workflow: str, input: Any, event: CapturedEvent) -> dict[str, Any]:
        """Start a run of `workflow`; returns at least `run_id` and `state`."""
