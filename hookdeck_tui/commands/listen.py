"""`hooktui listen`: the console's engine without the TUI. One line per event on stdout (human, or NDJSON with
--json) once the event is complete — committed, and forwarded when it is forwarded. Startup and problems go to
stderr, so stdout stays machine-readable. SIGINT/SIGTERM stop it cleanly."""

from __future__ import annotations

import argparse
import asyncio
import queue
import signal
import sys
import threading
from functools import partial

from hookdeck_tui.bus import Queued
from hookdeck_tui.commands.common import console_options, load_config_or_report, open_store
from hookdeck_tui.commands.history import event_line
from hookdeck_tui.config import Config
from hookdeck_tui.console import Console, PortInUse
from hookdeck_tui.formatting import json_safe, terminal_safe
from hookdeck_tui.messages import EngineMessage, EventStored, EventUpdated, LogLine, TunnelChanged
from hookdeck_tui.runtime import settle_after_start
from hookdeck_tui.signatures import SchemeError, canonical_name
from hookdeck_tui.signatures.secrets import parse_cli_secrets
from hookdeck_tui.store import CapturedEvent, Store
from hookdeck_tui.store.records import dumps


def run_listen(args: argparse.Namespace) -> int:
    config = load_config_or_report("listen", args.config)
    if config is None:
        return 2
    try:
        if args.scheme:
            canonical_name(args.scheme)
        if args.tunnel == "ssh" and not any(g.type == "ssh-tunnel" for g in config.gateways):
            raise ValueError("--tunnel ssh needs an `ssh-tunnel` gateway in the config (host, user, key or password)")
    except (ValueError, SchemeError) as exc:
        print(f"hooktui listen: {exc}", file=sys.stderr)
        return 2
    store = open_store("listen", config, args)
    if store is None:
        return 2
    try:
        return _run_loop(_listen(config, store, args))
    finally:
        store.close()


def _run_loop(coroutine) -> int:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it on Linux and macOS
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


async def _listen(config: Config, store: Store, args: argparse.Namespace) -> int:
    console = Console(config, store, **console_options(args))
    try:
        await console.start()
    except PortInUse as exc:
        print(f"hooktui listen: {exc}", file=sys.stderr)
        return 2
    if not config.listeners and not config.gateways:
        print(f"hooktui listen: {config.source} configures no listener and no gateway; nothing to do",
              file=sys.stderr)
        await console.stop()
        return 2
    for gateway in config.gateways if not config.listeners else ():  # a gateway-only config: tunnels to your app
        print(f"exposing 127.0.0.1:{gateway.port} through a {gateway_label(gateway)} (no listener in "
              f"{config.source}; the public URL follows)", file=sys.stderr)
    for server, pipeline in zip(console.servers, console.pipelines, strict=True):
        routes = ", ".join(route.label for route in pipeline.listener.routes)
        print(f"listening on {server.url}  ({routes})", file=sys.stderr)
    if args.forward_to:
        print(f"forwarding to {', '.join(args.forward_to)}" +
              (f" (only events of types {','.join(args.events)})" if args.events else ""), file=sys.stderr)
    for warning in config.unset_secret_warnings(parse_cli_secrets(args.secret)):
        print(warning, file=sys.stderr)
    print(f"capture store: {store.path}", file=sys.stderr)
    print(f"event stream (SSE): {console.inspection_url}", file=sys.stderr, flush=True)
    settle_after_start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    subscription = console.bus.subscribe(kinds={EventStored, EventUpdated, LogLine, TunnelChanged},
                                         shape=partial(printed, as_json=args.json))  # lines, not events
    writer = LineWriter()
    printer = asyncio.create_task(_print(subscription, writer))
    await stop.wait()
    print("stopping…", file=sys.stderr, flush=True)
    await console.stop()
    await asyncio.sleep(0)  # let the printer see the last messages
    while not subscription.queue.empty():
        _emit(subscription.queue.get_nowait(), writer)
    printer.cancel()
    writer.close()
    return 0


class LineWriter:
    """Writes lines on a thread of its own, so a reader that stops reading (a paused pager) never stalls the
    listener. Lines are collected on the loop and handed over every 10 ms as one batch (one wake-up and one write
    per batch, not per line). When the backlog is full — `backlog` batches, or `max_bytes` of text not yet
    written — batches are dropped and counted on stderr."""

    FLUSH_EVERY = 0.01

    def __init__(self, backlog: int = 1_000, max_bytes: int = 16 * 1024 * 1024) -> None:
        self._batches: queue.Queue = queue.Queue(backlog)
        self._pending: list[tuple[str, bool]] = []
        self._scheduled: asyncio.TimerHandle | None = None
        self.dropped = 0
        self.max_bytes = max_bytes
        self._unwritten = 0  # characters handed to the thread and not yet written
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="hooktui-stdout", daemon=True)
        self._thread.start()

    def write(self, line: str, *, err: bool = False) -> None:
        self._pending.append((line, err))
        if self._scheduled is None:
            self._scheduled = asyncio.get_running_loop().call_later(self.FLUSH_EVERY, self.flush)

    def flush(self) -> None:
        self._scheduled = None
        batch, self._pending = self._pending, []
        if not batch:
            return
        size = sum(len(line) for line, _ in batch)
        with self._lock:
            if self._unwritten + size > self.max_bytes and self._unwritten:
                self.dropped += len(batch)
                return
            self._unwritten += size
        try:
            self._batches.put_nowait(batch)
        except queue.Full:
            self.dropped += len(batch)
            with self._lock:
                self._unwritten -= size

    def _run(self) -> None:
        closed: set = set()
        while (batch := self._batches.get()) is not None:
            for stream, wanted in ((sys.stdout, False), (sys.stderr, True)):
                text = "".join(f"{line}\n" for line, err in batch if err is wanted)
                if text and stream not in closed:
                    try:
                        stream.write(text)
                        stream.flush()
                    except (OSError, ValueError):  # the reader went away (a closed pipe): nothing more to print
                        closed.add(stream)
            with self._lock:
                self._unwritten -= sum(len(line) for line, _ in batch)

    def close(self) -> None:
        if self._scheduled is not None:
            self._scheduled.cancel()
        self.flush()
        if self.dropped:
            self._batches.put([(f"hooktui listen: {self.dropped} lines were not printed (the output was not "
                                f"being read)", True)])
        self._batches.put(None)
        self._thread.join(timeout=10)


Lines = list[tuple[str, bool]]  # (line, to stderr): what the printer's queue keeps per message


async def _print(subscription, writer: LineWriter) -> None:
    async for message in subscription:
        _emit(message, writer)


def _emit(queued: Queued[Lines], writer: LineWriter) -> None:
    if queued.dropped_before:
        writer.write(f"hooktui listen: {queued.dropped_before} events were not printed (output too slow)", err=True)
    lines = queued.message
    for line, err in lines if isinstance(lines, list) else ():
        writer.write(line, err=err)


def printed(message: EngineMessage, *, as_json: bool) -> Lines:
    """A bus message as the lines it prints — what the printer's queue keeps (not the event and its body): an
    event once it is complete."""
    if isinstance(message, LogLine):  # a workflow's logger may put request text in it
        return [(terminal_safe(f"{message.level}: {message.message}"), True)]
    if isinstance(message, TunnelChanged):
        return [(terminal_safe(tunnel_line(message.to_json())), True)]
    if not isinstance(message, (EventStored, EventUpdated)) or not message.final:
        return []
    event = message.event
    return [(json_safe(dumps(event.summary_json()) or "{}") if as_json else listen_line(event), False)]


def gateway_label(gateway) -> str:
    """`cloudflare tunnel`, `ngrok tunnel`, `ssh tunnel to host`: what a gateway opens, for a start-up line."""
    if gateway.type == "ssh-tunnel":
        return f"ssh tunnel to {gateway.connection.host}"
    return f"{gateway.driver} tunnel"


def tunnel_line(state: dict) -> str:
    """`tunnel cloudflare :8090 online: https://…` — or the reason it is not."""
    detail = state.get("public_url") if state["status"] == "online" else state.get("last_error")
    return f"tunnel {state['name']} {state['status']}{': ' + detail if detail else ''}"


def listen_line(event: CapturedEvent) -> str:
    line = event_line(event)
    forward = event.forward
    if forward:
        outcome = f"{forward.status}" if forward.status is not None else f"failed: {forward.error}"
        line += f"  ⇢ app {outcome} ({forward.latency_ms} ms, {forward.attempts} attempt(s))"
    if event.error:  # it may quote the request (`no route for POST <path>`)
        line += f"  ! {event.error}"
    return terminal_safe(line)
