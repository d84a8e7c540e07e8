"""The console app. It starts the Console engine on mount, shows bus messages in batches (every 100 ms, so a burst
of thousands of events never floods the UI thread with work), and stops listeners and tunnels before quitting."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input

from hookdeck_tui.bus import Message as BusMessage
from hookdeck_tui.console import Console, PortInUse
from hookdeck_tui.delivery.curl import as_curl
from hookdeck_tui.store import EventFilter, FilterError
from hookdeck_tui.store.window import EventWindow
from hookdeck_tui.tui.export_screen import ExportScreen
from hookdeck_tui.tui.help import HelpScreen
from hookdeck_tui.tui.widgets.bottom import BottomTabs
from hookdeck_tui.tui.widgets.detail import DetailPane
from hookdeck_tui.tui.widgets.event_list import EventList
from hookdeck_tui.tui.widgets.status_bar import StatusBar

FLUSH_EVERY = 0.1


class HooktuiApp(App):
    CSS_PATH = "hooktui.tcss"
    TITLE = "hooktui"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Stop listeners and tunnels, then quit"),
        Binding("slash", "filter", "Filter", id="app.filter", tooltip="Filter by path, method, status, verdict, text"),
        Binding("f", "follow", "Follow", id="app.follow", tooltip="Jump to the newest event and follow the tail"),
        Binding("c", "copy_curl", "Copy curl", id="app.copy_curl", tooltip="Copy the selected request as curl"),
        Binding("y", "copy_body", "Copy body", id="app.copy_body", tooltip="Copy the selected request's body"),
        Binding("v", "reveal", "Reveal", id="app.reveal", tooltip="Show or mask credential headers"),
        Binding("x", "export", "Export", id="app.export", tooltip="Export the listed events to HAR or NDJSON"),
        Binding("u", "copy_url", "Copy URL", id="app.copy_url",
                tooltip="Copy the public URL of the tunnel highlighted in Tunnels (else the listener URL)"),
        Binding("t", "restart_tunnel", "Restart tunnel", id="app.restart_tunnel",
                tooltip="Restart the tunnel highlighted in Tunnels (after fixing what made it fail)"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Every key, and what it does"),
    ]

    def __init__(self, engine: Console) -> None:
        super().__init__()
        self.engine = engine
        self.window = EventWindow(engine.store)
        self._batch: list[BusMessage] = []
        self._pump: asyncio.Task | None = None
        self._tally: asyncio.Task | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Vertical(id="main"):
            yield EventList(self.window, id="events")
            yield DetailPane(self.engine.store, id="detail")
            yield BottomTabs(self.engine.store, id="bottom")
        yield Input(placeholder="filter: method:POST status:4xx verdict:invalid path:/webhooks words…  "
                                "(Enter applies, Esc clears)", id="filter")
        yield Footer()

    async def on_mount(self) -> None:
        try:
            await self.engine.start()
        except PortInUse as exc:
            self.exit(return_code=2, message=f"hooktui: {exc}")
            return
        status = self.query_one(StatusBar)
        status.listeners = self.engine.listener_urls
        subscription = self.engine.bus.subscribe(kinds={"event", "event-updated", "tunnel", "tunnel-log", "log", "run",
                                                        "job"})
        self._pump = asyncio.create_task(self._collect(subscription))
        self._tally = asyncio.create_task(self._count_history())
        self.set_interval(FLUSH_EVERY, self._apply_batch)
        status.redraw()
        self.query_one(EventList).focus()

    async def _count_history(self) -> None:
        """The counters include the stored history; counting a big one takes a moment, so it runs off the UI."""
        up_to = self.engine.store.last_id()
        tally = await asyncio.to_thread(self.engine.store.tally, up_to) if up_to else {}
        self.query_one(StatusBar).add_history(tally, up_to)

    async def _collect(self, subscription) -> None:
        async for message in subscription:
            self._batch.append(message)

    def _apply_batch(self) -> None:
        """Apply what arrived since the last batch in one go. (Not `_flush`: Textual's App has one.)"""
        batch, self._batch = self._batch, []
        status = self.query_one(StatusBar)
        events = self.query_one(EventList)
        if batch:
            bottom = self.query_one(BottomTabs)
            for message in batch:
                data = message.data
                if message.kind == "event":
                    status.count(data["event"])
                elif message.kind == "tunnel":
                    status.tunnels[data["name"]] = data
                    supervisor = self.engine.tunnels.tunnels.get(data["port"])
                    bottom.tunnel_changed(data, list(supervisor.state.log) if supervisor else [])
                elif message.kind == "log":
                    bottom.log(str(data.get("level", "info")), str(data.get("message")))
                elif message.kind == "tunnel-log":
                    bottom.log("tunnel", f"{data['tunnel']}: {data['line']}")
            if any(m.kind in ("run", "job") for m in batch):
                bottom.refresh_runs()  # a job's state shows in its run's line (waiting) and timeline
            events.events_arrived(updated=any(m.kind == "event-updated" for m in batch))
            shown = self.query_one(DetailPane)
            if shown.event is not None and any(m.kind in ("event-updated", "run", "job") for m in batch):
                shown.show(self.engine.store.get(shown.event.id))  # its forward result or run moved on
        status.pending, status.following = events.pending, events.following
        status.redraw()

    @on(EventList.Selected)
    def show_event(self, message: EventList.Selected) -> None:
        event = self.engine.store.get(message.event_id) if message.event_id is not None else None
        self.query_one(DetailPane).show(event)

    def selected_event(self):
        return self.query_one(DetailPane).event

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.add_class("shown")
        field.focus()

    @on(Input.Submitted, "#filter")
    def apply_filter(self, submitted: Input.Submitted) -> None:
        try:
            filters = EventFilter.parse(submitted.value)
        except FilterError as exc:
            self.notify(str(exc), title="Filter", severity="error")
            return
        self.window.set_filter(filters)
        self.query_one(EventList).reset()
        self.query_one(EventList).focus()
        if filters.is_empty:
            submitted.input.remove_class("shown")

    def on_key(self, event) -> None:
        field = self.query_one("#filter", Input)
        if event.key == "escape" and field.has_focus:
            field.value = ""
            field.remove_class("shown")
            self.window.set_filter(EventFilter())
            self.query_one(EventList).reset()
            self.query_one(EventList).focus()

    def action_follow(self) -> None:
        self.query_one(EventList).action_last()

    def action_copy_curl(self) -> None:
        event = self.selected_event()
        if event is None:
            return
        self.copy_to_clipboard(as_curl(event, self.base_url()))
        self.notify(f"#{event.id} copied as curl")

    def action_copy_body(self) -> None:
        event = self.selected_event()
        if event is None:
            return
        self.copy_to_clipboard(event.body.decode("utf-8", "replace"))
        self.notify(f"body of #{event.id} copied ({event.body_size} bytes)")

    def base_url(self) -> str:
        return self.engine.listener_urls[0] if self.engine.listener_urls else "http://127.0.0.1:8090"

    def action_export(self) -> None:
        def exported(message: str | None) -> None:
            if message:
                self.notify(message, title="Export")

        self.push_screen(ExportScreen(self.engine.store, self.window.filters, self.window.count, self.base_url()),
                         exported)

    def action_copy_url(self) -> None:
        tunnel = self.query_one(BottomTabs).selected_tunnel()
        if tunnel is None or not tunnel.get("public_url"):
            online = [t for t in self.query_one(BottomTabs).tunnels.values() if t.get("public_url")]
            tunnel = online[0] if online else None
        url = tunnel["public_url"] if tunnel else self.base_url()
        self.copy_to_clipboard(url)
        self.notify(f"copied {url}")

    async def action_restart_tunnel(self) -> None:
        tunnel = self.query_one(BottomTabs).selected_tunnel()
        if tunnel is None:
            self.notify("no tunnel to restart (start one with --tunnel, or `gateway:` in the config)",
                        severity="warning")
            return
        await self.engine.tunnels.restart(tunnel["port"])
        self.notify(f"restarting {tunnel['name']}")

    def action_reveal(self) -> None:
        self.query_one(DetailPane).toggle_reveal()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.BINDINGS))

    async def action_quit(self) -> None:
        await self._stop_engine()
        self.exit()

    async def on_unmount(self) -> None:
        await self._stop_engine()  # however the app ends, listeners and tunnels end with it

    async def _stop_engine(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
            await self.engine.stop()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            yield SystemCommand(binding.description, binding.tooltip, getattr(self, f"action_{binding.action}"))
