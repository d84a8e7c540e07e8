"""Workflow runs: jobs in dependency order — independent ones at the same time — each with its input and
output mappings, retries, `on_error` fallbacks and a timeout; http-client jobs that wait for their callback. Every
state change of a run and of each job is stored and published on the bus, so the TUI and `hooktui run` can show a
timeline.

Expressions in a job's `input` read `input` (the run's input), `jobs.<id>.output`, `context.run_id`,
`context.timestamp`, `env`, `gateway:<port>`, and `output` — the output of the job before it in the list.
A component's fields read `input` (the job's input); an http-client's `output` reads `response` (the answer's
parsed body). A job's `output` mapping reads `output`: the component's output, merged with the callback's result
when the job waited for one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hookdeck_tui.bus import EventBus
from hookdeck_tui.config import Config, Route, WorkflowConfig
from hookdeck_tui.config import models as m
from hookdeck_tui.expressions import CompiledValue, Scope
from hookdeck_tui.messages import JobChanged, LogLine, RunChanged
from hookdeck_tui.store import CapturedEvent, Store
from hookdeck_tui.workflows.components import (
    DEFAULT_REQUEST_TIMEOUT,
    JobFailure,
    callback_target,
    prepare_request,
    render,
    run_shell,
    send,
)
from hookdeck_tui.workflows.waiters import DEFAULT_CALLBACK_KEY, Callback, Waiter, WaiterConflict, WaiterRegistry

if TYPE_CHECKING:  # httpx takes ~50 ms to import and a console that forwards nothing never needs it: each use
    import httpx  # imports it (runtime.settle_after_start loads it off the loop once the console is up)

DEFAULT_CALLBACK_TIMEOUT = 300.0
DEFAULT_JOB_TIMEOUT = 300.0
log = logging.getLogger("hooktui.workflows")


def new_run_id() -> str:
    return f"run_{secrets.token_hex(6)}"


class UnknownWorkflow(Exception):
    pass


def dependencies(job: m.Job, order: list[str]) -> set[str]:
    """What a job waits for: its `depends_on`, every job whose output it reads (`${jobs.<id>...}`), and the job
    before it when it reads `${output}` (model-compose examples leave such orderings implicit)."""
    needed = set(job.depends_on)
    position = order.index(job.key)
    for value in (job.input, job.output):
        for ref in (value.references() if value is not None else []):
            if ref.source == "jobs" and ref.keys and str(ref.keys[0]) in order and ref.keys[0] != job.key:
                needed.add(str(ref.keys[0]))
            elif ref.source == "output" and value is job.input and position > 0:
                needed.add(order[position - 1])
    return needed


@dataclass
class Run:
    id: str
    workflow: WorkflowConfig
    input: Any
    trigger_event: int | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    status: str = "running"
    output: Any = None
    error: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class WorkflowRunner:
    """The engine behind callback and trigger routes, and behind `hooktui run`."""


    def __init__(self, config: Config, store: Store, bus: EventBus, *,
                 gateway_resolver: Callable[[int], Mapping[str, Any] | None] | None = None,
                 ready: Callable[[], Awaitable[None]] | None = None, buffer_seconds: float = 60.0) -> None:
        self.config = config
        self.store = store
        self.bus = bus
        self.gateway_resolver = gateway_resolver
        self.ready = ready  # e.g. tunnels still starting: a run that needs a public URL waits for it
        self.waiters = WaiterRegistry(buffer_seconds)
        self._http: httpx.AsyncClient | None = None  # made on first use: building its TLS context takes ~40 ms
        self.runs: dict[str, Run] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.callback_routes = {route.path.rstrip("/"): route for listener in config.listeners
                                for route in listener.routes if route.kind == "callback"}
        self.callback_paths = set(self.callback_routes)

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(trust_env=False)
        return self._http

    # --- the engine interface the listener uses ---------------------------------------------------------
    async def start_run(self, *, workflow: str, input: Any, event: CapturedEvent | None = None) -> dict[str, Any]:
        run = self.begin(workflow, input, event.id if event else None)
        return {"started": True, "run_id": run.id, "state": "triggered"}

    async def deliver_callback(self, *, route: str, key: Any, outcome: str, status: Any, result: Any,
                               event: CapturedEvent) -> dict[str, Any]:
        return self.waiters.deliver(key, Callback(outcome, status, result, event.id))

    # --- runs -------------------------------------------------------------------------------------------
    def begin(self, workflow_id: str, input: Any, trigger_event: int | None = None) -> Run:
        workflow = self.config.workflows.get(workflow_id)
        if workflow is None:
            known = ", ".join(sorted(self.config.workflows)) or "none are defined"
            raise UnknownWorkflow(f"no workflow `{workflow_id}` (workflows: {known})")
        run = Run(new_run_id(), workflow, input, trigger_event)
        self.runs[run.id] = run
        task = asyncio.create_task(self._execute(run), name=f"workflow run {run.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run

    def _uses_gateways(self, workflow: WorkflowConfig) -> bool:
        """Whether any job (or a component it uses) reads `${gateway:...}`: only such runs wait for tunnels."""
        values = []
        for job in workflow.all_jobs():
            values += [job.input, job.output]
            component = self.config.components.get(job.component_name or "")
            if component is not None:
                values += [v for v in vars(component).values() if isinstance(v, CompiledValue)]
        return any(ref.source == "gateway" for value in values if value is not None for ref in value.references())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    async def _execute(self, run: Run) -> None:
        """Run the workflow to its end. Whatever fails — a job, the store refusing a state, a bug — the run ends
        with a status and `done` is set: `hooktui run` and a waiting console must never wait forever."""
        model = run.workflow.model
        try:
            await self._run_state(run, "running")
            if self.ready is not None and self._uses_gateways(run.workflow):
                await self.ready()
            await self._jobs_in_order(run, model.jobs)
            if model.output is not None:
                run.output = render(model.output, self._job_scope(run, None))
            else:
                run.output = run.outputs.get(model.jobs[-1].key)
            run.status = "succeeded"
        except JobFailure as failure:
            run.status, run.error = ("timed_out" if failure.state == "timed_out" else "failed"), failure.reason
        except asyncio.CancelledError:
            run.status, run.error = "cancelled", "hooktui stopped while the run was going on"
            await self._final_state(run)
            raise
        except Exception as exc:
            log.exception("run %s crashed", run.id)
            run.status, run.error = "failed", f"internal error: {exc}"
        await self._final_state(run)

    async def _final_state(self, run: Run) -> None:
        try:
            await self._run_state(run, run.status)
        except Exception as exc:
            log.error("run %s ended %s, but its state was not stored: %s", run.id, run.status, exc)
        finally:
            run.done.set()

    async def _jobs_in_order(self, run: Run, jobs: list[m.Job]) -> None:
        """Start every job whose dependencies are done; independent jobs run at the same time. The first failure
        stops the run (jobs still going are cancelled)."""
        waiting = {job.key: job for job in jobs}
        order = [job.key for job in jobs]
        needs = {job.key: dependencies(job, order) for job in jobs}
        active: dict[asyncio.Task[Any], str] = {}
        try:
            while waiting or active:
                for job_id in [j for j in order if j in waiting]:
                    job = waiting[job_id]
                    if all(dep in run.outputs for dep in needs[job_id]):
                        del waiting[job_id]
                        previous = order[order.index(job_id) - 1] if order.index(job_id) else None
                        active[asyncio.create_task(self._job(run, job, previous))] = job_id
                if not active:
                    missing = {d for j in waiting for d in needs[j] if d not in run.outputs}
                    raise JobFailure(f"jobs {', '.join(waiting)} can never start: they wait for {', '.join(missing)}")
                done, _ = await asyncio.wait(active, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    job_id = active.pop(task)
                    run.outputs[job_id] = task.result()  # raises the job's failure
        finally:
            for task in active:
                task.cancel()
            if active:
                await asyncio.gather(*active, return_exceptions=True)

    async def _job(self, run: Run, job: m.Job, previous: str | None) -> Any:
        attempts = job.retry.max_attempts if job.retry else 1
        failure: JobFailure | None = None
        for attempt in range(1, attempts + 1):
            await self._job_state(run, job, "running", {"attempt": attempt, "of": attempts})
            try:
                output = await asyncio.wait_for(self._attempt(run, job, previous), self._job_timeout(job))
            except TimeoutError:
                failure = JobFailure(f"job `{job.key}` did not finish within {self._job_timeout(job):g} s",
                                     state="timed_out")
            except JobFailure as exc:
                failure = exc
            else:
                await self._job_state(run, job, "succeeded", {"output": output})
                return output
            await self._job_state(run, job, failure.state, {"reason": failure.reason, "attempt": attempt})
            if attempt < attempts:
                delay = (job.retry.delay if job.retry else 0) / 1000
                await self._job_state(run, job, "retrying", {"in_seconds": delay})
                await asyncio.sleep(delay)
        for fallback in job.on_error or []:
            await self._job_state(run, job, "fallback", {"job": fallback.key})
            try:
                output = await self._job(run, fallback, previous)
            except JobFailure as exc:
                failure = exc
                continue
            run.outputs[fallback.key] = output
            return output
        assert failure is not None
        raise JobFailure(f"job `{job.key}`: {failure.reason}", state=failure.state)

    def _job_timeout(self, job: m.Job) -> float:
        if job.timeout:
            return job.timeout / 1000
        component = self.config.components.get(job.component_name or "")
        if isinstance(component, m.HttpClientComponent) and component.timeout:
            return component.timeout / 1000 + 5
        return DEFAULT_JOB_TIMEOUT + DEFAULT_REQUEST_TIMEOUT

    async def _attempt(self, run: Run, job: m.Job, previous: str | None) -> Any:
        scope = self._job_scope(run, previous)
        job_input = render(job.input, scope, run.input)
        component = self.config.components.get(job.component_name or "")
        component_scope = self._component_scope(run, job_input)
        if component is None and job.component == "logger":
            component = m.LoggerComponent(type="logger")
        if isinstance(component, m.HttpClientComponent):
            output = await self._http_client(run, job, component, component_scope)
        elif isinstance(component, m.LoggerComponent):
            output = self._logger(run, job, component, component_scope, job_input)
        elif isinstance(component, m.ShellComponent):
            output = await run_shell(component, component_scope)
            output = render(component.output, component_scope.with_sources(result=output), output)
        else:
            kind = getattr(component, "type", None) or "missing"
            raise JobFailure(f"component `{job.component}` of type {kind} is not run by hooktui")
        return render(job.output, scope.with_sources(output=output, input=job_input), output)

    async def _http_client(self, run: Run, job: m.Job, component: m.HttpClientComponent, scope: Scope) -> Any:
        request = prepare_request(component, scope)
        target = callback_target(request.body, self.callback_paths)
        waiter = None
        if component.completion is not None or target is not None:  # registered before the request leaves,
            key = self._wait_key(run, component, scope, target)      # so a fast callback cannot be missed
            try:
                waiter = self.waiters.register(key, run.id, job.key)
            except WaiterConflict as exc:
                raise JobFailure(str(exc)) from exc
        try:
            await self._job_state(run, job, "requesting", request.describe())
            timeout = component.timeout / 1000 if component.timeout else DEFAULT_REQUEST_TIMEOUT
            status, body = await send(self.http, request, timeout)
            output = render(component.output, scope.with_sources(response=body), body)
            await self._job_state(run, job, "answered", {"status": status, "output": output})
            if waiter is None:
                return output
            result = await self._wait(run, job, component, waiter)
            if isinstance(output, dict) and isinstance(result, dict):
                return {**output, **result}
            return result if result is not None else output
        finally:
            if waiter is not None:
                self.waiters.release(waiter)

    def _wait_key(self, run: Run, component: m.HttpClientComponent, scope: Scope, target: str | None) -> Any:
        """The key a waiting job registers under. `completion.wait_for` when given. Otherwise model-compose's rule:
        a callback route without `identify_by` delivers under the fixed key `__callback__`, and a job waiting
        without `wait_for` waits on that same key — so the two meet. Only when the callback URL the job sends
        points at a route that *does* compute a key (`identify_by: ${body.task_id}`) is the run id the key:
        model-compose's examples send the run id as the task id."""
        completion = component.completion
        if completion is not None and completion.wait_for is not None:
            return render(completion.wait_for, scope)
        route = self.callback_routes.get(urlsplit(target).path.rstrip("/")) if target else None
        if route is None and len(self.callback_routes) == 1:
            route = next(iter(self.callback_routes.values()))
        if route is not None and _identifies(route):
            return run.id
        return DEFAULT_CALLBACK_KEY

    async def _wait(self, run: Run, job: m.Job, component: m.HttpClientComponent, waiter: Waiter) -> Any:
        limit = (component.completion.timeout if component.completion and component.completion.timeout
                 else component.timeout)
        seconds = limit / 1000 if limit else DEFAULT_CALLBACK_TIMEOUT
        await self._job_state(run, job, "waiting", {"key": waiter.key, "timeout_seconds": seconds})
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            try:
                callback = await asyncio.wait_for(waiter.next(), max(remaining, 0))
            except TimeoutError as exc:
                raise JobFailure(f"no callback for `{waiter.key}` within {seconds:g} s", state="timed_out") from exc
            detail = {"status": callback.status, "event": callback.event_id, "key": waiter.key}
            if callback.outcome == "progress":
                await self._job_state(run, job, "progress", detail)
                continue
            if callback.outcome == "failed":
                await self._job_state(run, job, "callback_failed", detail)
                raise JobFailure(f"the callback for `{waiter.key}` reported status `{callback.status}` (fail_when)")
            await self._job_state(run, job, "resumed", {**detail, "result": callback.result})
            return callback.result

    def _logger(self, run: Run, job: m.Job, component: m.LoggerComponent, scope: Scope, job_input: Any) -> Any:
        fields = job_input if isinstance(job_input, dict) else {}
        level = str(fields.get("level") or render(component.level, scope, "info")).lower()
        message = fields.get("message", render(component.message, scope))
        data = fields.get("data", render(component.data, scope))
        log.log(getattr(logging, level.upper(), logging.INFO), "%s", message)
        self.bus.publish(LogLine(level, message, data=data, run_id=run.id, job=job.id))
        return {"level": level, "message": message, "data": data}

    # --- scopes and records -----------------------------------------------------------------------------
    def _context(self, run: Run) -> dict[str, Any]:
        return {"run_id": run.id, "timestamp": int(time.time())}

    def _job_scope(self, run: Run, previous: str | None) -> Scope:
        jobs = {job_id: {"output": output} for job_id, output in run.outputs.items()}
        return Scope({"input": run.input, "jobs": jobs, "context": self._context(run),
                      "output": run.outputs.get(previous) if previous else None},
                     gateway_resolver=self.gateway_resolver)

    def _component_scope(self, run: Run, job_input: Any) -> Scope:
        return Scope({"input": job_input, "context": self._context(run)}, gateway_resolver=self.gateway_resolver)

    async def _run_state(self, run: Run, status: str) -> None:
        await self.store.save_run(run.id, run.workflow.id, status, input=run.input, output=run.output,
                                  error=run.error, trigger_event=run.trigger_event)
        self.bus.publish(RunChanged(run.id, run.workflow.id, status, output=run.output, error=run.error))

    async def _job_state(self, run: Run, job: m.Job, state: str, detail: Any = None) -> None:
        await self.store.add_job_state(run.id, job.key, state, detail)
        self.bus.publish(JobChanged(run.id, job.key, state, detail))


def _identifies(route: Route) -> bool:
    """Whether a callback route computes its key from the request (an `identify_by:` of its own)."""
    identify_by = route.spec.identify_by
    raw: object = identify_by.raw if isinstance(identify_by, CompiledValue) else identify_by
    return raw != DEFAULT_CALLBACK_KEY
