"""The console app. It starts the Console engine on mount, shows bus messages in batches (every 50 ms, every 200 ms
during a burst, so thousands of events never flood the UI thread with work), and stops listeners and tunnels before
quitting."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Input

from hookdeck_tui.answer_switch import AnswerSwitch
from hookdeck_tui.console import Console, PortInUse
from hookdeck_tui.delivery.curl import as_curl
from hookdeck_tui.delivery.replay import (
    LISTENER,
    ReplayError,
    forward_url,
    reingest,
    replay,
    replay_url,
    resign_settings,
)
from hookdeck_tui.forge.build import Forged, ForgeSpec
from hookdeck_tui.forge.sending import send_forged
from hookdeck_tui.roundtrip import CallbackPlan
from hookdeck_tui.runtime import settle_after_start
from hookdeck_tui.signatures import canonical_name
from hookdeck_tui.signatures.resign import secret_for
from hookdeck_tui.store import CapturedEvent, EventFilter, FilterError
from hookdeck_tui.store.window import EventWindow
from hookdeck_tui.tui.help import HelpScreen
from hookdeck_tui.tui.widgets.bottom import BottomTabs
from hookdeck_tui.tui.widgets.detail import DetailPane
from hookdeck_tui.tui.widgets.event_list import EventList
from hookdeck_tui.tui.widgets.status_bar import StatusBar

FLUSH_EVERY = 0.05  # a new event shows within ~50 ms...
BUSY_FLUSH_EVERY = 0.5  # ...or 500 ms during a burst, when drawing less often leaves more time for the listeners
BUSY_RATE = 1_000  # events per second that make it a burst
ARRIVALS_WAIT = 0.1  # at most this long a batch waits for the list to read what arrived (a filtered count may take
# longer: the counters are then drawn without it, the rows when they are read)
DETAIL_EVERY_WHEN_BUSY = 1.0  # the detail pane while a burst scrolls past


class HooktuiApp(App):
    CSS_PATH = Path(__file__).with_name("hooktui.tcss")  # absolute: a subclass elsewhere (the benchmark) finds it
    TITLE = "hooktui"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Stop listeners and tunnels, then quit"),
        # second: the footer is cut at the terminal's width, and `?` leads to every other key
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Every key, and what it does"),
        Binding("slash", "filter", "Filter", id="app.filter", tooltip="Filter by path, method, status, verdict, text"),
        Binding("f", "follow", "Follow", id="app.follow", tooltip="Jump to the newest event and follow the tail"),
        Binding("c", "copy_curl", "Copy curl", id="app.copy_curl", tooltip="Copy the selected request as curl"),
        Binding("r", "replay", "Replay", id="app.replay",
                tooltip="Replay the selected request as captured: to the app it is forwarded to, else to hooktui"),
        Binding("e", "edit_replay", "Edit & replay", id="app.edit_replay",
                tooltip="Edit target, method, path, headers, body (re-sign toggle), then replay"),
        Binding("s", "forge", "Forge", id="app.forge",
                tooltip="Send a signed test event from a template (ModelRiver round trip, GitHub, Stripe, …)"),
        Binding("a", "cycle_answer", "Answer", id="app.cycle_answer",
                tooltip="Cycle the selected event's route answer: 200 → 500 → slow → no answer → app"),
        Binding("y", "copy_body", "Copy body", id="app.copy_body", tooltip="Copy the selected request's body"),
        Binding("v", "reveal", "Reveal", id="app.reveal", tooltip="Show or mask credential headers"),
        Binding("x", "export", "Export", id="app.export", tooltip="Export the listed events to HAR or NDJSON"),
        Binding("u", "copy_url", "Copy URL", id="app.copy_url",
                tooltip="Copy the public URL of the tunnel highlighted in Tunnels (else the listener URL)"),
        Binding("t", "restart_tunnel", "Restart tunnel", id="app.restart_tunnel",
                tooltip="Restart the tunnel highlighted in Tunnels (after fixing what made it fail)"),
        Binding("ctrl+l", "clear_view", "Clear view", id="app.clear_view", show=False,
                tooltip="Hide the events so far from the list (they stay stored; ctrl+l again shows them)"),
    ]

    def __init__(self, engine: Console) -> None:
        super().__init__()
        self.engine = engine
        self.window = EventWindow(engine.store)
        self._subscription = None
        self._tally: asyncio.Task | None = None
        self._busy = False
        self._last_batch = 0.0
        self._wanted: int | None = None
        self._detail_at = 0.0
        self._detail_timer = None
        self._updates_seen = 0
        self._answers: AnswerSwitch | None = None  # made on the first `a`: the listeners' routes exist by then
        self.settle_when_started = False  # run_app sets it: the real process, not an app a test drives

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Vertical(id="main"):
            yield EventList(self.window, id="events")
            yield DetailPane(self.engine.store, self._diagnose, id="detail")
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
        # new events are not bus messages here: each frame reads what was stored since the last one (list and
        # counters), so a burst costs the console one query per frame instead of a message per event
        subscription = self.engine.bus.subscribe(kinds={"event-updated", "tunnel", "tunnel-log", "log", "run", "job",
                                                        "round-trip", "store-pruned"})
        self._subscription = subscription  # drained by each batch: no wake-up per message
        self._counted_up_to = self.engine.store.last_id()  # the counters cover the history up to here...
        self._tally = asyncio.create_task(self._count_history(self._counted_up_to))  # ...once this is in
        self.set_interval(FLUSH_EVERY, self._apply_batch)
        status.redraw()
        self.query_one(EventList).show_empty_hint(self.base_url())
        for warning in self.engine.config.unset_secret_warnings(self.engine.services.verify_defaults.secrets):
            self.notify(warning.removeprefix("warning: "), title="Secret not set", severity="warning", timeout=30)
        self.query_one(EventList).focus()
        if self.settle_when_started:
            self.call_after_refresh(settle_after_start)

    async def _count_history(self, up_to: int) -> None:
        """The counters include the stored history; counting a big one takes a moment, so it runs off the UI."""
        tally = await asyncio.to_thread(self.engine.store.tally, up_to) if up_to else {}
        self.query_one(StatusBar).add_history(tally)
        if tally:
            self.window.correct(up_to, tally["total"])
            self.query_one(EventList).recounted()

    async def _apply_batch(self) -> None:
        """Apply what arrived since the last batch in one go. (Not `_flush`: Textual's App has one.)"""
        now = time.monotonic()
        if self._busy and now - self._last_batch < BUSY_FLUSH_EVERY:
            return
        try:
            status = self.query_one(StatusBar)
            events = self.query_one(EventList)
        except NoMatches:  # the app is closing and its widgets are gone; nothing left to show
            return
        queue = self._subscription.queue if self._subscription is not None else None
        batch = []
        while queue is not None and not queue.empty():
            batch.append(queue.get_nowait())
        arrived, newest = self.engine.store.tally_since(self._counted_up_to)  # this process's or another's
        self._counted_up_to = newest
        status.add(arrived)
        self._busy = arrived["total"] >= BUSY_RATE * max(now - self._last_batch, FLUSH_EVERY)
        self._last_batch = now
        if batch:
            bottom = self.query_one(BottomTabs)
            for message in batch:
                data = message.data
                if message.kind == "tunnel":
                    status.tunnels[data["name"]] = data
                    supervisor = self.engine.tunnels.tunnels.get(data["port"])
                    bottom.tunnel_changed(data, list(supervisor.state.log) if supervisor else [])
                elif message.kind == "log":
                    bottom.log(str(data.get("level", "info")), str(data.get("message")))
                elif message.kind == "tunnel-log":
                    bottom.log("tunnel", f"{data['tunnel']}: {data['line']}")
            if any(m.kind in ("run", "job") for m in batch):
                bottom.refresh_runs()  # a job's state shows in its run's line (waiting) and timeline
            if any(m.kind == "store-pruned" for m in batch):
                self._recount()  # the retention removed old rows: the list counts again
        # rows shown may have changed since they were read: a route's match and its runs are stored just after
        # the event itself, a forward's result later
        updated = self._updates_seen != self.engine.store.updates
        self._updates_seen = self.engine.store.updates
        if arrived["total"] or updated:
            # the list reads them off the loop; waiting (briefly) for it draws the new rows and the counters in one
            # frame instead of two, a frame apart
            await asyncio.wait((events.events_arrived(updated=updated),), timeout=ARRIVALS_WAIT)
        if batch:
            shown = self.query_one(DetailPane)
            if shown.event is not None and any(m.kind in ("event-updated", "run", "job", "round-trip")
                                               for m in batch):
                shown.show(self.engine.store.get(shown.event.id))  # its forward result or run moved on
        status.pending, status.following = events.pending, events.following
        status.redraw()

    @on(EventList.Selected)
    def show_event(self, message: EventList.Selected) -> None:
        """Show the selected event — at once when a key moved the cursor; while the list follows a burst, at most
        every DETAIL_EVERY_WHEN_BUSY (each new detail costs a layout pass that the listeners would pay for)."""
        self._wanted = message.event_id
        if message.by_arrival and self._busy and time.monotonic() - self._detail_at < DETAIL_EVERY_WHEN_BUSY:
            if self._detail_timer is None:
                self._detail_timer = self.set_timer(DETAIL_EVERY_WHEN_BUSY, self._show_wanted)
            return
        self._show_wanted()

    def _show_wanted(self) -> None:
        self._detail_timer = None
        self._detail_at = time.monotonic()
        event = self.engine.store.get(self._wanted) if self._wanted is not None else None
        self.query_one(DetailPane).show(event)

    def selected_event(self):
        return self.query_one(DetailPane).event

    def _recount(self) -> None:
        up_to = self.engine.store.last_id()
        self._counted_up_to = min(self._counted_up_to, up_to)  # an emptied store numbers from 1 again
        self.window.correct(up_to, self.engine.store.count(up_to=up_to))
        self.window.set_filter(self.window.filters)
        self.query_one(EventList).reset()

    def action_clear_view(self) -> None:
        """A view floor: the list starts after the newest event so far; nothing is deleted (`hooktui prune` does
        that). Pressed again before anything new arrived, the floor goes and the history is back."""
        newest = self.engine.store.last_id()
        floor = 0 if self.window.filters.after and self.window.filters.after >= newest else newest
        self.window.set_filter(dataclasses.replace(self.window.filters, after=floor))
        self.query_one(EventList).reset()
        self.notify(f"view cleared: events up to #{floor} are hidden (still stored); ctrl+l shows them again"
                    if floor else "the whole history is shown again", title="Clear view")

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
        self.window.set_filter(dataclasses.replace(filters, after=self.window.filters.after))  # the view stays cleared
        self.query_one(EventList).reset()
        self.query_one(EventList).focus()
        if filters.is_empty:
            submitted.input.remove_class("shown")

    def on_key(self, event) -> None:
        field = self.query_one("#filter", Input)
        if event.key == "escape" and field.has_focus:
            field.value = ""
            field.remove_class("shown")
            self.window.set_filter(EventFilter(after=self.window.filters.after))
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

        from hookdeck_tui.tui.export_screen import ExportScreen  # screens load when first opened: a faster start

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

    # --- replay and forge ------------------------------------------------------------------------------
    def replay_target(self, event: CapturedEvent) -> str:
        """The app the event is forwarded to, else hooktui's own listener."""
        return forward_url(self.engine.config, event, self.engine.forward_targets) or LISTENER

    def _diagnose(self, event: CapturedEvent):
        """The Signature tab's diagnosis, with the config's and --secret's secrets (run in a worker thread)."""
        from hookdeck_tui.event_diagnosis import diagnose_event

        defaults = self.engine.services.verify_defaults
        return diagnose_event(self.engine.config, event, default_scheme=defaults.scheme,
                              default_secrets=defaults.secrets)

    def _resign(self, event: CapturedEvent):
        defaults = self.engine.services.verify_defaults
        return resign_settings(self.engine.config, event, default_scheme=defaults.scheme,
                               default_secrets=defaults.secrets)

    def action_replay(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify("select an event to replay", severity="warning")
            return
        from hookdeck_tui.tui.replay_screen import ReplayRequest

        self.run_worker(self._replay(event, ReplayRequest(self.replay_target(event), None, False)))

    def action_edit_replay(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify("select an event to edit and replay", severity="warning")
            return
        event = self.engine.store.get(event.id) or event
        try:
            scheme = self._resign(event).scheme
        except ReplayError:
            scheme = event.signature.scheme if event.signature else None

        from hookdeck_tui.tui.replay_screen import ReplayScreen

        def chosen(request) -> None:
            if request is not None:
                self.run_worker(self._replay(event, request))

        self.push_screen(ReplayScreen(event, self.replay_target(event), scheme), chosen)

    async def _replay(self, event: CapturedEvent, request) -> None:
        """`request`: a replay_screen.ReplayRequest (target, edits, re-sign)."""
        try:
            resign = self._resign(event) if request.resign else None
            if request.to == LISTENER:
                outcome = await reingest(self.engine.store, self.engine.asgi_app(self._listener_of(event)), event,
                                         resign=resign, edits=request.edits, base_url=self.base_url())
            else:
                target = request.edits.target if request.edits and request.edits.target else None
                outcome = await replay(self.engine.store, event, replay_url(event, request.to, target=target),
                                       resign=resign, edits=request.edits)
                self.engine.bus.publish("event", {"event": outcome.event, "final": True})
        except ReplayError as exc:
            self.notify(str(exc), title="Replay", severity="error")
            return
        ok = outcome.result.status is not None and outcome.result.status < 400
        self.notify(outcome.line(event), title="Replay", severity="information" if ok else "warning")

    def _listener_of(self, event: CapturedEvent) -> int:
        labels = [pipeline.label for pipeline in self.engine.pipelines]
        return labels.index(event.listener) if event.listener in labels else 0

    def forge_secret(self, scheme: str) -> str | None:
        """The secret to sign a forged event with: the config's for that scheme, --secret, or the environment."""
        for listener in self.engine.config.listeners:
            for route in listener.routes:
                verify = route.verify
                if verify is not None and verify.scheme and verify.all_secrets and \
                        canonical_name(verify.scheme) == canonical_name(scheme):
                    return verify.all_secrets[0]
        defaults = self.engine.services.verify_defaults
        scoped = (s for s in defaults.secrets if getattr(s, "scheme", None) in (None, canonical_name(scheme)))
        return secret_for(scheme, next(scoped, None))

    def action_forge(self) -> None:
        targets = self.engine.forward_targets
        default_to = targets[0].url if targets else self.base_url()

        from hookdeck_tui.tui.forge_screen import ForgeChoice, ForgeScreen

        def chosen(choice: ForgeChoice | None) -> None:
            if choice is not None and choice.forged is not None and choice.delivery != "once":
                self.run_worker(self._redeliver(choice.forged, choice.delivery, choice.time_scale))
            elif choice is not None and choice.forged is not None:
                self.run_worker(self._send_forged(choice.forged, choice.plan))
            elif choice is not None and choice.probe is not None:
                self.run_worker(self._probe(choice.probe))

        self.push_screen(ForgeScreen(default_to, self.callback_base(), self.forge_secret), chosen)

    def callback_base(self) -> str:
        """Where a forged event's callback comes back: the first listener's public URL when its tunnel is online (an
        app in the cloud cannot reach 127.0.0.1), else the listener itself."""
        base = self.base_url()
        port = urlsplit(base).port
        online = [t for t in self.engine.tunnels.states() if t["status"] == "online" and t.get("public_url")]
        chosen = next((t for t in online if t["port"] == port), None)
        return chosen["public_url"] if chosen else base

    async def _probe(self, spec: ForgeSpec) -> None:
        from hookdeck_tui.forge.probe import Prober, scorecard
        from hookdeck_tui.tui.forge_screen import ProbeScreen

        self.notify(f"probing {spec.url} …", title="Probe")
        checks = await Prober(self.engine.store, spec, self.engine.round_trips).run()
        self.push_screen(ProbeScreen(scorecard(checks)))

    async def _send_forged(self, forged: Forged, plan: CallbackPlan | None = None) -> None:
        from hookdeck_tui.roundtrip.tunnel import loopback_warning

        try:
            callback = json.loads(forged.request.body).get("callback_url") if forged.channel_id else None
        except (ValueError, AttributeError):
            callback = None
        warning = loopback_warning(forged.request.url, callback) if isinstance(callback, str) else None
        if warning:
            self.notify(warning, title="Forge", severity="warning")
        event, result = await send_forged(self.engine.store, forged, self.engine.round_trips, plan=plan)
        self.engine.bus.publish("event", {"event": event, "final": True})
        answer = f"{result.status} in {result.latency_ms:g} ms" if result.status is not None else result.error
        trip = " — waiting for its callback (Round trip tab)" if forged.channel_id and not forged.variant else ""
        self.notify(f"{forged.template} → {forged.request.url}: {answer}{trip}", title="Forge",
                    severity="information" if result.status is not None and result.status < 400 else "warning")

    def action_cycle_answer(self) -> None:
        """What does the sender do when my endpoint 500s, is slow, never answers? One key per answer."""
        event = self.selected_event()
        if self._answers is None:
            routes = [route for pipeline in self.engine.pipelines for route in pipeline.listener.routes]
            self._answers = AnswerSwitch(routes, self.engine.forward_targets)
        route = self._answers.route_of(event.route) if event is not None else None
        if route is None:
            self.notify("select an event captured on a route first", title="Answer", severity="warning")
            return
        mode = self._answers.cycle(route)
        status = self.query_one(StatusBar)
        status.answers = [f"{changed.label} → {name}" for changed, name in self._answers.changed()]
        status.redraw()
        self.notify(f"{route.label} now answers: {mode}", title="Answer")

    async def _redeliver(self, forged: Forged, delivery: str, time_scale: float) -> None:
        """The forge screen's provider retries or duplicate: each attempt lands in the list as it is sent."""
        from hookdeck_tui.forge.redelivery import Attempt, deliver_duplicates, deliver_with_retries
        from hookdeck_tui.forge.schedules import schedule_for

        def shown(attempt: Attempt) -> None:
            self.engine.bus.publish("event", {"event": attempt.event, "final": True})

        if delivery == "duplicate":
            attempts = await deliver_duplicates(self.engine.store, forged, 1, on_attempt=shown)
        else:
            attempts = await deliver_with_retries(self.engine.store, forged, schedule_for(forged.scheme),
                                                  time_scale=time_scale, on_attempt=shown)
        last = attempts[-1].result
        answer = f"{last.status}" if last.status is not None else last.error
        self.notify(f"{forged.template} → {forged.request.url}: {len(attempts)} attempts, last {answer}",
                    title="Forge", severity="information" if attempts[-1].delivered else "warning")

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
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
            await self.engine.stop()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            yield SystemCommand(binding.description, binding.tooltip, getattr(self, f"action_{binding.action}"))
