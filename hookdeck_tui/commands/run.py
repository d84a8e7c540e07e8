"""`hooktui run WORKFLOW`: one workflow run, headless, with the config's listeners up so its callbacks can arrive.
Each job's progress goes to stderr; the final output, as JSON, to stdout. Exit 0 when the run succeeds, 1 when it
fails or times out, 2 for a usage or config error."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from hookdeck_tui.bus import Queued
from hookdeck_tui.commands.common import load_config_or_report, open_store
from hookdeck_tui.commands.listen import tunnel_line
from hookdeck_tui.config import Config
from hookdeck_tui.console import Console, PortInUse
from hookdeck_tui.messages import EngineMessage, JobChanged, LogLine, TunnelChanged
from hookdeck_tui.store import Store
from hookdeck_tui.workflows.runner import UnknownWorkflow


def run_workflow(args: argparse.Namespace) -> int:
    config = load_config_or_report("run", args.config)
    if config is None:
        return 2
    workflow = args.workflow or (next(iter(config.workflows)) if len(config.workflows) == 1 else None)
    if workflow is None:
        known = ", ".join(sorted(config.workflows)) or "none are defined"
        print(f"hooktui run: name the workflow to run (workflows: {known})", file=sys.stderr)
        return 2
    try:
        run_input = json.loads(args.input)
    except ValueError as exc:
        print(f"hooktui run: --input is not JSON: {exc}", file=sys.stderr)
        return 2
    store = open_store("run", config, args)
    if store is None:
        return 2
    try:
        return asyncio.run(_run(config, store, workflow, run_input))
    finally:
        store.close()


async def _run(config: Config, store: Store, workflow: str, run_input: object) -> int:
    console = Console(config, store, inspection_port=None)
    try:
        await console.start()
    except PortInUse as exc:
        print(f"hooktui run: {exc}", file=sys.stderr)
        return 2
    subscription = console.bus.subscribe(kinds={JobChanged, LogLine, TunnelChanged})
    try:
        try:
            run = console.runner.begin(workflow, run_input)
        except UnknownWorkflow as exc:
            print(f"hooktui run: {exc}", file=sys.stderr)
            return 2
        for url in console.listener_urls:
            print(f"listening on {url} for callbacks", file=sys.stderr)
        print(f"run {run.id} of workflow `{workflow}`", file=sys.stderr, flush=True)
        reporter = asyncio.create_task(_report(subscription))
        stopped = await _until_done_or_signal(run.done)
        await asyncio.sleep(0)
        reporter.cancel()
        while not subscription.queue.empty():
            _progress(subscription.queue.get_nowait())
        if stopped is not None:
            print(f"run {run.id} interrupted by {stopped.name}; listeners and tunnels stopped", file=sys.stderr)
            return 128 + stopped
        if run.status == "succeeded":
            print(json.dumps(run.output, indent=2, ensure_ascii=False, default=str))
            return 0
        print(f"run {run.id} {run.status.replace('_', ' ')}: {run.error}", file=sys.stderr)
        return 1
    finally:
        subscription.close()
        await console.stop()


async def _until_done_or_signal(done: asyncio.Event) -> signal.Signals | None:
    """Wait for the run; SIGTERM or SIGHUP (a closed terminal) end the wait instead, so the caller stops the
    listeners and tunnels before exiting rather than dying with them running."""
    loop = asyncio.get_running_loop()
    received: list[signal.Signals] = []
    stop = asyncio.Event()

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        waits = [asyncio.ensure_future(done.wait()), asyncio.ensure_future(stop.wait())]
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    finally:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)
    return received[0] if received and not done.is_set() else None


async def _report(subscription) -> None:
    async for message in subscription:
        _progress(message)


def _progress(queued: Queued[EngineMessage]) -> None:
    message = queued.message
    if isinstance(message, TunnelChanged):  # a gateway's public URL, or why there is none
        print(f"  {tunnel_line(message.to_json())}", file=sys.stderr, flush=True)
        return
    if isinstance(message, LogLine):
        print(f"  log {message.level}: {message.message}", file=sys.stderr, flush=True)
        return
    if not isinstance(message, JobChanged):
        return
    detail = message.detail or {}
    wanted = ("attempt", "key", "status", "reason", "url", "in_seconds")
    shown = {k: v for k, v in detail.items() if k in wanted} if isinstance(detail, dict) else {}
    extra = " ".join(f"{k}={v}" for k, v in shown.items())
    print(f"  {message.job}: {message.state}{' ' + extra if extra else ''}", file=sys.stderr, flush=True)
