"""The engine behind both faces of hooktui — the TUI and the headless commands — and the one door they use. It owns
the listeners (one server per configured listener), the event bus, the forwarder, the inspection endpoint and the
hand-off to the workflow engine; what the faces ask of it (replay, forge, probe, reads) is in actions.py and
reads.py, the names their screens need in types.py. Nothing here imports Textual."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from hookdeck_tui.answer_switch import AnswerSwitch
from hookdeck_tui.bus import EventBus, Subscription
from hookdeck_tui.config import Config
from hookdeck_tui.config.models import ForwardTarget, HttpTunnelGateway
from hookdeck_tui.console.actions import ConsoleActions
from hookdeck_tui.console.reads import ConsoleReads
from hookdeck_tui.delivery.forward import Forwarder
from hookdeck_tui.listener.address import PortInUse
from hookdeck_tui.listener.pipeline import Pipeline, Services, VerifyDefaults
from hookdeck_tui.messages import EngineMessage, LogLine, StorePruned
from hookdeck_tui.roundtrip import RoundTrips
from hookdeck_tui.store import Store
from hookdeck_tui.store.retention import keep_pruned
from hookdeck_tui.tunnels.manager import TunnelManager
from hookdeck_tui.workflows.engine import WorkflowEngine
from hookdeck_tui.workflows.runner import WorkflowRunner

if TYPE_CHECKING:
    from hookdeck_tui.inspection import Inspection
    from hookdeck_tui.listener.server import ListenerServer

__all__ = ["Console", "PortInUse", "VerifyDefaults"]

TunnelDriver = Literal["cloudflare", "ngrok"]  # `--tunnel`: opened to the first listener's actual port


class BusLogHandler(logging.Handler):
    """uvicorn's warnings (a malformed request, a slow client cut off) as LogLine messages on the bus: the Log pane
    and `hooktui listen` show them, and nothing writes over the TUI on stderr."""

    def __init__(self, bus: EventBus) -> None:
        super().__init__(logging.WARNING)
        self.bus = bus

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.bus.publish(LogLine(record.levelname.lower(), f"{record.name}: {record.getMessage()}"))
        except Exception:
            self.handleError(record)


class Console(ConsoleActions, ConsoleReads):
    def __init__(self, config: Config, store: Store, *, verify_defaults: VerifyDefaults | None = None,
                 forward_to: str | list[ForwardTarget] | None = None, forward_events: list[str] | None = None,
                 engine: WorkflowEngine | None = None,
                 inspection_port: int | None = 0, tunnels: tuple[TunnelDriver, ...] = (),
                 tunnel_settings: dict[str, Any] | None = None,
                 gateway_resolver: Callable[[int], Mapping[str, Any] | None] | None = None,
                 api_key: str | None = None, writer_process: bool = False) -> None:
        """`writer_process`: commit the store's writes in a child process (store/writer_process.py) — for the
        long-running consoles; a short-lived command would wait ~0.2 s for it to start."""
        self.config = config
        self._writer_process = writer_process
        self.store = store
        self.bus = EventBus()
        self.forwarder = Forwarder(store)
        self.tunnels = TunnelManager(self.bus, **(tunnel_settings or {}))  # url_timeout, backoff, …
        self.extra_tunnels = tunnels  # `--tunnel cloudflare|ngrok`: for the first listener's actual port
        self.runner = WorkflowRunner(config, store, self.bus, gateway_resolver=gateway_resolver or self.tunnels.resolve,
                                     ready=self.tunnels.settled)
        self.services = Services(store, self.bus, self.forwarder, engine or self.runner,
                                 verify_defaults or VerifyDefaults(),
                                 [ForwardTarget(url=forward_to)] if isinstance(forward_to, str) else
                                 list(forward_to or []), forward_events=forward_events)
        self.round_trips = self.services.round_trips = RoundTrips(store, self.bus, api_key=api_key)
        self._log_handler = BusLogHandler(self.bus)
        self.servers: list[ListenerServer] = []
        self.pipelines: list[Pipeline] = []
        self.inspection: Inspection | None = None
        if inspection_port is not None:
            from hookdeck_tui.inspection import Inspection

            self.inspection = Inspection(self.bus, self.status)
        self._inspection_port = inspection_port
        self.inspection_server: ListenerServer | None = None
        self._retention: asyncio.Task[None] | None = None
        self._answers: AnswerSwitch | None = None

    async def start(self) -> None:
        """Start every listener (and the inspection endpoint); if one cannot start, stop the others and raise."""
        from hookdeck_tui.listener.app import ListenerApp  # a Console that only sends (`send`, `replay`) never
        from hookdeck_tui.listener.server import ListenerServer  # starts a server, nor loads uvicorn

        logging.getLogger("uvicorn").addHandler(self._log_handler)
        if self._writer_process:
            self.store.start_writer_process()  # ready before the first request (it takes ~0.2 s to start)
        try:
            for index, listener in enumerate(self.config.listeners):
                pipeline = Pipeline(listener, self.services)
                server = ListenerServer(ListenerApp(pipeline), listener.host, listener.port,
                                        name=f"listener {index + 1}", trusted_proxies=listener.model.trusted_proxies)
                await server.start()
                self.pipelines.append(pipeline)
                self.servers.append(server)
            if self.inspection is not None:
                self.inspection_server = ListenerServer(self.inspection.app, "127.0.0.1", self._inspection_port or 0,
                                                        name="inspection endpoint")
                await self.inspection_server.start()
        except BaseException:
            await self.stop()
            raise
        self._start_tunnels()
        self._start_retention()

    def _start_retention(self) -> None:
        """`store: {keep: N}` / `{keep_days: D}`: prune at start and periodically while the console runs."""
        settings = self.config.store
        if settings is None or (settings.keep is None and settings.keep_days is None):
            return
        kept = " and ".join(part for part in (f"the newest {settings.keep}" if settings.keep else "",
                                              f"{settings.keep_days:g} days" if settings.keep_days else "") if part)

        def report(removed: int) -> None:
            message = (f"store: removed {removed} old event(s), keeping {kept}" if removed > 0 else
                       "store: the retention pass could not prune the store; it will try again")
            self.bus.publish(LogLine("info" if removed > 0 else "warning", message))
            if removed > 0:
                self.bus.publish(StorePruned(removed))

        self._retention = asyncio.create_task(keep_pruned(self.store.path, settings.keep, settings.keep_days,
                                                          report))

    def _start_tunnels(self) -> None:
        """Tunnels start after the listeners and never stop them: a tunnel that fails only says why."""
        for gateway in self.config.gateways:
            self.tunnels.add(gateway)
        for driver in self.extra_tunnels:
            port = self.servers[0].port
            if port not in self.tunnels.tunnels:
                self.tunnels.add(HttpTunnelGateway(type="http-tunnel", driver=driver, port=port))

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish, record the forwards under way, close."""
        self.round_trips.release()  # held callback answers go out: nothing in flight waits for a round trip
        await self.tunnels.stop()
        if self._retention is not None:
            self._retention.cancel()
            self._retention = None
        if self.inspection is not None:
            self.inspection.close_streams()
        for server in reversed(self.servers):
            await server.stop()
        if self.inspection_server is not None:
            await self.inspection_server.stop()
        pending = list(self.services.background)
        if pending:
            await asyncio.wait(pending, timeout=15)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self.runner.close()
        await self.forwarder.close()
        self.round_trips.close()
        self.servers.clear()
        logging.getLogger("uvicorn").removeHandler(self._log_handler)

    def subscribe(self, *kinds: type[EngineMessage]) -> Subscription[EngineMessage]:
        """What the engine says from now on, of these message classes (all of them when none is given); bounded in
        messages and bytes as every bus subscription is."""
        return self.bus.subscribe(kinds=kinds or None)

    def close(self) -> None:
        """Close the store (once stopped): the console is done with it."""
        self.store.close()

    @property
    def listener_urls(self) -> list[str]:
        return [server.url for server in self.servers]

    @property
    def inspection_url(self) -> str | None:
        if self.inspection is None or self.inspection_server is None:
            return None
        return f"{self.inspection_server.url}/events?token={self.inspection.token}"

    def status(self) -> dict[str, Any]:
        return {
            "listeners": [{"url": server.url, "routes": [r.label for r in pipeline.listener.routes],
                           "active": pipeline.gate.active, "queued": pipeline.gate.waiting}
                          for server, pipeline in zip(self.servers, self.pipelines, strict=True)],
            "events": self.store.last_id(),
            "waiting_for_callbacks": self.runner.waiters.waiting_keys(),
            "tunnels": self.tunnels.states(),
        }
