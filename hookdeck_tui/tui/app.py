"""The console app. It starts the Console engine on mount, shows bus messages in batches (every 50 ms, every 500 ms
during a burst, so thousands of events never flood the UI thread with work: tui/bridge.py), and stops listeners and
tunnels before quitting. Everything it asks of the engine goes through the Console's door."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, TabbedContent, Tabs

from hookdeck_tui.console import Console, PortInUse
from hookdeck_tui.console.types import (
    Attempt,
    CallbackPlan,
    CapturedEvent,
    EngineMessage,
    EventFilter,
    EventUpdated,
    FilterError,
    Forged,
    ForgeSpec,
    JobChanged,
    LogLine,
    ReplayError,
    RoundTripChanged,
    RunChanged,
    StorePruned,
    TunnelChanged,
    TunnelLogLine,
    schedule_for,
    scorecard,
    settle_after_start,
)
from hookdeck_tui.tui.body_view import EXPAND_ACTION, EXPAND_KEY
from hookdeck_tui.tui.bridge import FLUSH_EVERY, EngineBatch, EngineBridge
from hookdeck_tui.tui.clipboard import Copy, body_copy, curl_copy
from hookdeck_tui.tui.filter_input import FilterInput
from hookdeck_tui.tui.help import HelpScreen
from hookdeck_tui.tui.widgets.bottom import BottomTabs
from hookdeck_tui.tui.widgets.detail import DetailPane
from hookdeck_tui.tui.widgets.event_list import EventList
from hookdeck_tui.tui.widgets.status_bar import StatusBar

BUSY_RATE = 1_000  # events per second that make it a burst
ARRIVALS_WAIT = 0.1  # at most this long a batch waits for the list to read what arrived (a filtered count may take
# longer: the counters are then drawn without it, the rows when they are read)
DETAIL_EVERY_WHEN_FOLLOWING = 0.25  # the detail pane, redrawn by what arrives (the tail it follows, its own event's
# updates): at most this often — at 200 events a second, a redraw each (a layout pass the listeners pay for) would be
# 20 a second nobody can read
DETAIL_EVERY_WHEN_BUSY = 1.0  # ...and while a burst scrolls past
TALL = 32  # rows from which the bottom pane shows beside at least 8 events and the detail
DETAIL_TABS = Binding.Group("Tab", compact=True)


class HooktuiApp(App):
    CSS_PATH = Path(__file__).with_name("hooktui.tcss")  # absolute: a subclass elsewhere (the benchmark) finds it
    TITLE = "hooktui"
    BINDINGS = [
        Binding("q,ctrl+c", "quit", "Quit", id="app.quit",
                tooltip="Stop listeners and tunnels, then quit (ctrl+c in a text field copies its selection)"),
        # second: the footer is cut at the terminal's width, and `?` leads to every other key
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Every key, and what it does"),
        Binding("slash", "filter", "Filter", id="app.filter", tooltip="Filter by path, method, status, verdict, text"),
        Binding("b", "toggle_bottom", "Panes", id="app.toggle_bottom",
                tooltip="Show or hide the Workflows / Tunnels / Log pane (hidden at first in a short terminal)"),
        Binding("left_square_bracket", "previous_tab", "Previous tab", id="app.previous_tab", key_display="[",
                group=DETAIL_TABS, tooltip="The detail's previous tab (Overview … Round trip)"),
        Binding("right_square_bracket", "next_tab", "Next tab", id="app.next_tab", key_display="]",
                group=DETAIL_TABS, tooltip="The detail's next tab (Overview … Round trip)"),
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
        Binding(EXPAND_KEY, EXPAND_ACTION, "Expand/fold JSON", id="app.toggle_folding",
                tooltip="On the Body tab: show a long JSON body in full, or folded again"),
        Binding("ctrl+l", "clear_view", "Clear view", id="app.clear_view", show=False,
                tooltip="Hide the events so far from the list (they stay stored; ctrl+l again shows them)"),
    ]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (TALL, "-tall")]  # a short terminal hides the bottom pane at first

    def __init__(self, engine: Console) -> None:
        super().__init__()
        self.engine = engine  # the door: everything the app reads or asks of the engine goes through it
        self.window = engine.event_window()
        self._bridge: EngineBridge | None = None
        self._tally: asyncio.Task | None = None
        self._busy = False
        self._last_batch = 0.0
        self._wanted: int | None = None
        self._detail_at = 0.0
        self._detail_timer: Timer | None = None
        self._batches: list[tuple[EngineMessage, ...]] = []  # engine batches not applied yet
        self._applying: asyncio.Task[None] | None = None
        self.settle_when_started = False  # run_app sets it: the real process, not an app a test drives
        self.settling: threading.Thread | None = None  # the start-up's last work, once painted (runtime.py)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Vertical(id="main"):
            yield EventList(self.window, id="events")
            yield DetailPane(self.engine, self.engine.diagnose, id="detail")
            yield BottomTabs(self.engine, id="bottom")
        yield FilterInput(self.window, id="filter", placeholder="filter: method:POST status:4xx verdict:invalid "
                          "path:/webhooks words…  (Enter applies, Esc clears)")
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
        subscription = self.engine.subscribe(EventUpdated, TunnelChanged, TunnelLogLine, LogLine, RunChanged,
                                             JobChanged, RoundTripChanged, StorePruned)
        self._bridge = EngineBridge(self, subscription)  # drained each frame: no wake-up per message
        self._counted_up_to = self.engine.last_id()  # the counters cover the history up to here...
        self._tally = asyncio.create_task(self._count_history(self._counted_up_to))  # ...once this is in
        self._bridge.start()
        status.redraw()
        self.query_one(EventList).show_empty_hint(self.base_url())
        for warning in self.engine.unset_secret_warnings():
            self.notify(warning.removeprefix("warning: "), title="Secret not set", severity="warning", timeout=30)
        self.query_one(EventList).focus()
        if self.settle_when_started:
            self.call_after_refresh(self._settle)

    def _settle(self) -> None:
        self.settling = settle_after_start(wait=False)  # on a thread: the loop serves while it imports

    async def _count_history(self, up_to: int) -> None:
        """The counters include the stored history; counting a big one takes a moment, so it runs off the UI."""
        tally = await asyncio.to_thread(self.engine.tally, up_to) if up_to else {}
        self.query_one(StatusBar).add_history(tally)
        if tally:
            self.window.correct(up_to, tally["total"])
            self.query_one(EventList).recounted()

    @on(EngineBatch)
    def _engine_batch(self, batch: EngineBatch) -> None:
        """Applied in a task of its own, not in this handler: a batch waits for the list's read on the window's
        thread, and a key queued behind the handler would wait with it (under load, for the thread's turn at the
        GIL). Batches that come meanwhile are applied together, in order, once the one on its way is done."""
        self._batches.append(batch.messages)
        if self._applying is None or self._applying.done():
            self._applying = asyncio.create_task(self._apply_batches())
            self._applying.add_done_callback(self._batches_done)

    async def _apply_batches(self) -> None:
        while self._batches:
            messages = tuple(message for batch in self._batches for message in batch)
            self._batches.clear()
            await self._apply_batch(messages)

    def _batches_done(self, task: asyncio.Task[None]) -> None:
        error = None if task.cancelled() else task.exception()
        if error is not None:  # a bug: the app fails as it would for an error in a handler
            self._handle_exception(error if isinstance(error, Exception) else RuntimeError(error))

    async def _apply_batch(self, batch: Sequence[EngineMessage] | None = None) -> None:
        """Apply a frame's worth of engine messages in one go (None: what the bridge holds now). Not `_flush`:
        Textual's App has one."""
        if batch is None:
            batch = self._bridge.drain() if self._bridge is not None else ()
        now = time.monotonic()
        try:
            status = self.query_one(StatusBar)
            events = self.query_one(EventList)
        except NoMatches:  # the app is closing and its widgets are gone; nothing left to show
            return
        arrived, newest = self.engine.tally_since(self._counted_up_to)  # this process's or another's
        self._counted_up_to = newest
        status.add(arrived)
        self._busy = arrived["total"] >= BUSY_RATE * max(now - self._last_batch, FLUSH_EVERY)
        if self._bridge is not None:
            self._bridge.busy = self._busy
        self._last_batch = now
        if batch:
            self._show_in_bottom_tabs(batch, status)

        if any(isinstance(m, StorePruned) for m in batch):
            self._recount()  # the retention removed old rows: the list counts again
        # rows shown may have changed since they were read: a route's match and its runs are stored just after
        # the event itself, a forward's or a send's answer later — each says so with EventUpdated
        updated = any(isinstance(m, EventUpdated) for m in batch)
        if arrived["total"] or updated:
            # the list reads them off the loop; waiting (briefly) for it draws the new rows and the counters in one
            # frame instead of two, a frame apart
            await asyncio.wait((events.events_arrived(updated=updated),), timeout=ARRIVALS_WAIT)
        shown = self.query_one(DetailPane)
        if shown.event is not None and shown.event.id is not None and \
                any(isinstance(m, (EventUpdated, RunChanged, JobChanged, RoundTripChanged)) for m in batch):
            self._show_soon()  # its forward result or run moved on
        status.pending, status.following = events.pending, events.following
        status.redraw()

    def _show_in_bottom_tabs(self, batch: Sequence[EngineMessage], status: StatusBar) -> None:
        bottom = self.query_one(BottomTabs)
        for message in batch:
            if isinstance(message, TunnelChanged):
                state = message.to_json()
                status.tunnels[message.name] = state
                bottom.tunnel_changed(state, self.engine.tunnel_log(message.port))
            elif isinstance(message, LogLine):
                bottom.write_line(message.level, str(message.message))
            elif isinstance(message, TunnelLogLine):
                bottom.write_line("tunnel", f"{message.tunnel}: {message.line}")
        if any(isinstance(m, (RunChanged, JobChanged)) for m in batch):
            bottom.refresh_runs()  # a job's state shows in its run's line (waiting) and timeline

    @on(EventList.Selected)
    def show_event(self, message: EventList.Selected) -> None:
        """Show the selected event: at once when a key moved the cursor, soon when the list moved on its own."""
        self._wanted = message.event_id
        if message.by_arrival:
            self._show_soon()
        else:
            self._show_wanted()

    def _show_soon(self) -> None:
        """Redraw the detail for a change the engine made (a new row followed, the shown event's outcome): at once
        if it was drawn long enough ago, else when that time is up, once however many changes came meanwhile."""
        if self._detail_timer is not None:
            return  # the draw on its way shows the latest
        every = DETAIL_EVERY_WHEN_BUSY if self._busy else DETAIL_EVERY_WHEN_FOLLOWING
        wait = self._detail_at + every - time.monotonic()
        if wait <= 0:
            self._show_wanted()
        else:
            self._detail_timer = self.set_timer(wait, self._show_wanted)

    def _show_wanted(self) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = None
        self._detail_at = time.monotonic()
        event = self.engine.event(self._wanted) if self._wanted is not None else None
        self.query_one(DetailPane).show(event)

    def selected_event(self):
        return self.query_one(DetailPane).event

    def _recount(self) -> None:
        up_to = self.engine.last_id()
        self._counted_up_to = min(self._counted_up_to, up_to)  # an emptied store numbers from 1 again
        self.window.correct(up_to, self.engine.count(up_to=up_to))
        self.window.set_filter(self.window.filters)
        self.query_one(EventList).reset()

    def action_clear_view(self) -> None:
        """A view floor: the list starts after the newest event so far; nothing is deleted (`hooktui prune` does
        that). Pressed again before anything new arrived, the floor goes and the history is back."""
        newest = self.engine.last_id()
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
        events = self.query_one(EventList)
        events.action_last()
        events.focus()  # from the detail (a tab scrolled with the keys), back to the list the arrows move in

    def action_toggle_folding(self) -> None:
        self.query_one(DetailPane).action_toggle_folding()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The fold key is there (in the footer too) only while the Body tab is open on a long JSON body."""
        if action != EXPAND_ACTION:
            return True
        try:
            return self.query_one(DetailPane).fold_key_shown
        except NoMatches:  # a modal screen on top, or closing
            return False

    def action_copy_curl(self) -> None:
        event = self.selected_event()
        self._copy(curl_copy(event, self.engine.curl, Path.cwd()) if event is not None else None)

    def action_copy_body(self) -> None:
        event = self.selected_event()
        self._copy(body_copy(event, Path.cwd()) if event is not None else None)

    def base_url(self) -> str:
        return self.engine.base_url()

    def action_export(self) -> None:
        def exported(message: str | None) -> None:
            if message:
                self.notify(message, title="Export")

        from hookdeck_tui.tui.export_screen import ExportScreen  # screens load when first opened: a faster start

        self.push_screen(ExportScreen(self.engine, self.window.filters, self.window.count, self.base_url()),
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
        await self.engine.restart_tunnel(tunnel["port"])
        self.notify(f"restarting {tunnel['name']}")

    # --- replay and forge (the door does them; the app shows the outcome) ------------------------------------
    def action_replay(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify("select an event to replay", severity="warning")
            return
        from hookdeck_tui.tui.replay_screen import ReplayRequest

        self.run_worker(self._replay(event, ReplayRequest(self.engine.replay_target(event), None, False)))

    def action_edit_replay(self) -> None:
        event = self.selected_event()
        if event is None:
            self.notify("select an event to edit and replay", severity="warning")
            return
        event = self.engine.event(event.id) or event
        scheme = self.engine.resign_scheme(event)

        from hookdeck_tui.tui.replay_screen import ReplayScreen

        def chosen(request) -> None:
            if request is not None:
                self.run_worker(self._replay(event, request))

        self.push_screen(ReplayScreen(event, self.engine.replay_target(event), scheme), chosen)

    async def _replay(self, event: CapturedEvent, request) -> None:
        """`request`: a replay_screen.ReplayRequest (target, edits, re-sign). The toast says the app's answer and
        the replay's signature verdict."""
        try:
            outcome = await self.engine.replay(event, to=request.to, edits=request.edits, resign=request.resign)
        except ReplayError as exc:
            self.notify(str(exc), title="Replay", severity="error")
            return
        ok = outcome.result.status is not None and outcome.result.status < 400 and \
            not outcome.signature_broken(event)
        self.notify(outcome.line(event), title="Replay", severity="information" if ok else "warning")

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

        self.push_screen(ForgeScreen(default_to, self.engine.callback_base(), self.engine.forge_secret), chosen)

    async def _probe(self, spec: ForgeSpec) -> None:
        from hookdeck_tui.tui.forge_screen import ProbeScreen

        self.notify(f"probing {spec.url} …", title="Probe")
        checks = await self.engine.probe(spec)
        self.push_screen(ProbeScreen(scorecard(checks)))

    async def _send_forged(self, forged: Forged, plan: CallbackPlan | None = None) -> None:
        warning = self.engine.loopback_warning(forged)
        if warning:
            self.notify(warning, title="Forge", severity="warning")
        _, result = await self.engine.send(forged, plan=plan)
        answer = f"{result.status} in {result.latency_ms:g} ms" if result.status is not None else result.error
        trip = " — waiting for its callback (Round trip tab)" if forged.channel_id and not forged.variant else ""
        self.notify(f"{forged.template} → {forged.request.url}: {answer}{trip}", title="Forge",
                    severity="information" if result.status is not None and result.status < 400 else "warning")

    def action_cycle_answer(self) -> None:
        """What does the sender do when my endpoint 500s, is slow, never answers? One key per answer."""
        event = self.selected_event()
        change = self.engine.cycle_answer(event.route) if event is not None else None
        if change is None:
            self.notify("select an event captured on a route first", title="Answer", severity="warning")
            return
        status = self.query_one(StatusBar)
        status.answers = change.changed
        status.redraw()
        self.notify(f"{change.route} now answers: {change.mode}", title="Answer")

    async def _redeliver(self, forged: Forged, delivery: str, time_scale: float) -> None:
        """The forge screen's provider retries or duplicate: each attempt lands in the list as it is sent."""
        schedule = schedule_for(forged.scheme) if delivery != "duplicate" else None
        attempts: list[Attempt] = await self.engine.redeliver(forged, schedule=schedule, time_scale=time_scale)
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
        if self._applying is not None:
            self._applying.cancel()  # what is left of a batch: nothing will show it now
        if self._bridge is not None:
            self._bridge.close()
            self._bridge = None
            await self.engine.stop()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if isinstance(binding, Binding):
                yield SystemCommand(binding.description, binding.tooltip, getattr(self, f"action_{binding.action}"))

    # --- layout, keys and feedback -------------------------------------------------------------------------------
    def action_toggle_bottom(self) -> None:
        """The bottom pane's state, chosen with `b`, wins over the terminal height's default (see hooktui.tcss)."""
        main = self.query_one("#main")
        shown = self.query_one(BottomTabs).display
        main.set_class(shown, "-bottom-hidden")
        main.set_class(not shown, "-bottom-shown")

    def action_next_tab(self) -> None:
        self.query_one("#detail-tabs", TabbedContent).query_one(Tabs).action_next_tab()

    def action_previous_tab(self) -> None:
        self.query_one("#detail-tabs", TabbedContent).query_one(Tabs).action_previous_tab()

    def _copy(self, copy: Copy | None) -> None:
        """Say what reached the clipboard, or the file written instead — never a copy that did not happen."""
        if copy is None:
            self.notify("select an event first: nothing copied", severity="warning")
            return
        if copy.text is not None:
            self.copy_to_clipboard(copy.text)
        self.notify(copy.message, severity=copy.severity, markup=False)  # a file path may hold [brackets]

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """A toast, and the same line in the Log tab: what each action did, and every error, stay readable there
        after the toast is gone. Toasts do not pile up: a confirmation replaces the one before it with the same
        title (`a` pressed five times shows one toast), and a toast identical to one still shown replaces it;
        warnings and errors with different text stay until they time out. (Thread-safe like Textual's: the Log
        line is written on the app's loop.)"""
        for shown in list(self._notifications):
            same = shown.title == title and shown.severity == severity
            if same and (severity == "information" or shown.message == message):
                self._unnotify(shown, refresh=False)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
        self.call_later(self._log_notice, severity, title, message)
    def _log_notice(self, severity: str, title: str, message: str) -> None:
        try:
            bottom = self.screen_stack[0].query_one(BottomTabs)  # under a modal screen too
        except (NoMatches, IndexError):
            return  # starting or closing: no Log tab to write to
        level = severity if severity in ("warning", "error") else (title.lower() or "info")
        bottom.write_line(level, f"{title}: {message}" if title and level != title.lower() else message)
