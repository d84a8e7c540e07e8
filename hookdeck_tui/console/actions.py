"""What the faces ask the engine to do — replay, send a forged event, re-deliver like a provider, probe an app —
and the domain answers they need for it (where a replay goes, which secret signs a scheme, where a callback comes
back). The TUI and the headless commands both call these; a Console that is not started (no listeners) does the
outbound ones as well as a running one."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from hookdeck_tui.answer_switch import AnswerSwitch
from hookdeck_tui.bus import EventBus
from hookdeck_tui.config import Config
from hookdeck_tui.config.models import ForwardTarget
from hookdeck_tui.delivery.curl import as_curl
from hookdeck_tui.delivery.forward import ForwardResult
from hookdeck_tui.delivery.outbound import DEFAULT_TIMEOUT
from hookdeck_tui.delivery.replay import (
    LISTENER,
    Edits,
    ReplayError,
    ReplayOutcome,
    Resign,
    forward_url,
    reingest,
    replay,
    replay_url,
    resign_settings,
)
from hookdeck_tui.forge.build import Forged, ForgeSpec
from hookdeck_tui.forge.probe import Check, Prober, ProbeSettings
from hookdeck_tui.forge.redelivery import Attempt, deliver_duplicates, deliver_with_retries
from hookdeck_tui.forge.schedules import RetrySchedule
from hookdeck_tui.forge.sending import send_forged
from hookdeck_tui.listener.address import first_listener_url
from hookdeck_tui.listener.pipeline import Pipeline, Services
from hookdeck_tui.roundtrip import CallbackPlan, RoundTrips
from hookdeck_tui.roundtrip.tunnel import loopback_warning
from hookdeck_tui.signatures import SchemeError, SchemeOptions, canonical_name
from hookdeck_tui.signatures.base import SecretError
from hookdeck_tui.signatures.resign import default_secret, secret_for
from hookdeck_tui.store import CapturedEvent, EventMeta, Store
from hookdeck_tui.tunnels.manager import TunnelManager

if TYPE_CHECKING:
    from hookdeck_tui.listener.server import ListenerServer
    from hookdeck_tui.signatures.diagnosis import Diagnosis


@dataclass(frozen=True)
class AnswerChange:
    """What `cycle_answer` did: the route, the answer it gives now, and every route answering otherwise than
    configured (`label → mode`, for a status line)."""

    route: str
    mode: str
    changed: list[str]


class ConsoleActions:
    config: Config
    store: Store
    bus: EventBus
    services: Services
    round_trips: RoundTrips
    servers: list[ListenerServer]
    pipelines: list[Pipeline]
    tunnels: TunnelManager
    _answers: AnswerSwitch | None

    @property
    def forward_targets(self) -> list[ForwardTarget]:
        return self.services.default_forward

    # --- where things go ---------------------------------------------------------------------------------
    def base_url(self) -> str:
        """The first listener's URL: the running one's, else where the config says it answers."""
        return self.servers[0].url if self.servers else first_listener_url(self.config)

    def replay_target(self, event: CapturedEvent) -> str:
        """The app the event is forwarded to, else hooktui's own listener (LISTENER)."""
        return forward_url(self.config, event, self.forward_targets) or LISTENER

    def callback_base(self) -> str:
        """Where a forged event's callback comes back: the first listener's public URL when its tunnel is online (an
        app in the cloud cannot reach 127.0.0.1), else the listener itself."""
        base = self.base_url()
        port = urlsplit(base).port
        online = [t for t in self.tunnels.states() if t["status"] == "online" and t.get("public_url")]
        chosen = next((t for t in online if t["port"] == port), None)
        return str(chosen["public_url"]) if chosen else base

    def forge_secret(self, scheme: str) -> str | None:
        """The secret to sign a forged event with: the config's for that scheme, --secret, or the environment."""
        for listener in self.config.listeners:
            for route in listener.routes:
                verify = route.verify
                if verify is not None and verify.scheme and verify.all_secrets and \
                        canonical_name(verify.scheme) == canonical_name(scheme):
                    return str(verify.all_secrets[0])
        return secret_for(scheme, default_secret(canonical_name(scheme), self.services.verify_defaults.secrets))

    def unset_secret_warnings(self) -> list[str]:
        """The configured secrets that name an environment variable nobody set."""
        return list(self.config.unset_secret_warnings(self.services.verify_defaults.secrets))

    def curl(self, event: CapturedEvent) -> str:
        return as_curl(event, self.base_url())

    # --- signatures --------------------------------------------------------------------------------------
    def diagnose(self, event: CapturedEvent) -> Diagnosis | None:
        """Why the event's signature failed, with the config's and --secret's secrets. Slow: call it off the
        event loop (a worker thread)."""
        from hookdeck_tui.event_diagnosis import diagnose_event  # a dozen modules only an invalid signature needs

        defaults = self.services.verify_defaults
        return diagnose_event(self.config, event, default_scheme=defaults.scheme, default_secrets=defaults.secrets)

    def resign_settings(self, event: CapturedEvent, *, scheme: str | None = None,
                        secret: str | None = None) -> Resign:
        """The scheme and secret a re-signed replay of `event` gets (ReplayError when there is none)."""
        defaults = self.services.verify_defaults
        try:
            return resign_settings(self.config, event, scheme=scheme, secret=secret, default_scheme=defaults.scheme,
                                   default_secrets=defaults.secrets)
        except (SchemeError, SecretError) as exc:
            raise ReplayError(str(exc)) from exc

    def resign_scheme(self, event: CapturedEvent) -> str | None:
        """The scheme a re-signed replay would use, or the one the event was signed with (for a form's default)."""
        judged = self._judge(event)
        return judged.scheme if judged else event.signature.scheme if event.signature else None

    # --- replay ------------------------------------------------------------------------------------------
    async def replay(self, event: CapturedEvent, *, to: str | None = None, edits: Edits | None = None,
                     resign: bool = False, scheme: str | None = None, secret: str | None = None,
                     timeout: float = 30.0) -> ReplayOutcome:
        """Send `event` again — to `to` (a URL), to LISTENER (this console's own listener, in-process when it
        runs), or by default to the app the config forwards it to — as captured, edited, or re-signed. The replay
        is stored (origin "replay") with the verdict a receiver holding the route's secret reaches. Raises
        ReplayError when it cannot be made as asked."""
        signing = self.resign_settings(event, scheme=scheme, secret=secret) if resign else None
        if to == LISTENER and self.servers:
            return await reingest(self.store, self.servers[self._listener_of(event)].app, event, resign=signing,
                                  edits=edits, base_url=self.base_url())
        target = edits.target if edits is not None and edits.target else None
        if to == LISTENER:
            url = replay_url(event, first_listener_url(self.config), target=target)
        elif to:
            url = replay_url(event, to, target=target)
        else:
            forwarded = forward_url(self.config, event, self.forward_targets)
            if forwarded is None:
                raise ReplayError("no forward target is configured for this event: pass --to URL (your app), "
                                  "--to listener (the console's own listener) or --forward-to URL")
            url = forwarded
        return await replay(self.store, event, url, resign=signing, edits=edits, timeout=timeout,
                            checked_with=None if signing else self._judge(event), bus=self.bus)

    def _judge(self, event: CapturedEvent) -> Resign | None:
        """The scheme and secret to tell whether a replay sent as it is still verifies (None: none known)."""
        try:
            return self.resign_settings(event)
        except ReplayError:
            return None

    def _listener_of(self, event: CapturedEvent) -> int:
        """The running listener the event came in on (by its port field), else the first."""
        ports = [pipeline.port for pipeline in self.pipelines]
        return ports.index(event.listener_port) if event.listener_port in ports else 0

    # --- forged events -----------------------------------------------------------------------------------
    @staticmethod
    def loopback_warning(forged: Forged, callback_base: str | None = None) -> str | None:
        """A callback_url on this machine that the app (elsewhere) cannot reach: said before sending (the one in
        the body, else `callback_base`)."""
        if not forged.channel_id:
            return None
        try:
            sent = json.loads(forged.request.body).get("callback_url")
        except (ValueError, AttributeError):
            sent = None
        return loopback_warning(forged.request.url, sent if isinstance(sent, str) else callback_base)

    async def send(self, forged: Forged, *, plan: CallbackPlan | None = None, options: SchemeOptions | None = None,
                   timeout: float = DEFAULT_TIMEOUT, trip_timeout: float | None = None,
                   meta: EventMeta | None = None,
                   round_trip: bool = True) -> tuple[CapturedEvent, ForwardResult]:
        """Send a forged event and keep it (origin "forged"); one that asks for a callback starts a round trip
        (answered as `plan` says) unless `round_trip` is False."""
        return await send_forged(self.store, forged, self.round_trips if round_trip else None, options=options,
                                 timeout=timeout, trip_timeout=trip_timeout, plan=plan, meta=meta, bus=self.bus)

    async def redeliver(self, forged: Forged, *, schedule: RetrySchedule | None = None, duplicates: int = 1,
                        time_scale: float = 1.0, options: SchemeOptions | None = None,
                        timeout: float = DEFAULT_TIMEOUT,
                        on_attempt: Callable[[Attempt], None] | None = None) -> list[Attempt]:
        """Deliver as a provider does when things go wrong: again on `schedule` while the app fails (its delays
        scaled by `time_scale`), or — without a schedule — `duplicates` more copies of the very same request."""
        if schedule is None:
            return await deliver_duplicates(self.store, forged, duplicates, options=options, timeout=timeout,
                                            on_attempt=on_attempt, bus=self.bus)
        return await deliver_with_retries(self.store, forged, schedule, time_scale=time_scale, options=options,
                                          timeout=timeout, on_attempt=on_attempt, bus=self.bus)

    async def probe(self, spec: ForgeSpec, settings: ProbeSettings | None = None,
                    on_check: Callable[[Check], Awaitable[None] | None] | None = None) -> list[Check]:
        """Run the verification battery against `spec.url`; a template with a callback follows its round trip."""
        round_trips = self.round_trips if spec.template.round_trip else None
        return await Prober(self.store, spec, round_trips, settings, on_check, bus=self.bus).run()

    # --- tunnels and answers -----------------------------------------------------------------------------
    async def restart_tunnel(self, port: int) -> bool:
        """Restart the tunnel to `port` (after fixing what made it fail); False when there is none."""
        return await self.tunnels.restart(port)

    def cycle_answer(self, route_label: str | None) -> AnswerChange | None:
        """Switch the route an event came in on to its next answer (200 → 500 → slow → no answer → app); None
        when no running route has that label."""
        if self._answers is None:  # made on first use: the listeners' routes exist by then
            routes = [route for pipeline in self.pipelines for route in pipeline.listener.routes]
            self._answers = AnswerSwitch(routes, self.forward_targets)
        route = self._answers.route_of(route_label)
        if route is None:
            return None
        mode = self._answers.cycle(route)
        return AnswerChange(route.label, mode, [f"{changed.label} → {name}"
                                                for changed, name in self._answers.changed()])


__all__ = ["AnswerChange", "ConsoleActions"]
