"""The names the faces' screens need beside the Console: records, filters, messages, outcomes, the forge's specs and
templates, and the errors its forms report. The TUI imports these from here and nothing else of the engine (a test
holds it to that), so the engine can move inside without a screen noticing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from hookdeck_tui.answer_settings import describe_simulated
from hookdeck_tui.bounds import loads_bounded
from hookdeck_tui.bus import Queued, Subscription
from hookdeck_tui.console.actions import AnswerChange
from hookdeck_tui.delivery.replay import LISTENER, Edits, ReplayError, ReplayOutcome
from hookdeck_tui.forge.build import VARIANTS, Forged, ForgeError, ForgeSpec, forge
from hookdeck_tui.forge.overrides import OverrideError
from hookdeck_tui.forge.probe import Check, scorecard
from hookdeck_tui.forge.redelivery import Attempt
from hookdeck_tui.forge.schedules import RetrySchedule, parse_time_scale, schedule_for
from hookdeck_tui.forge.templates import TEMPLATES, get_template
from hookdeck_tui.messages import (
    Dropped,
    EngineMessage,
    EventStored,
    EventUpdated,
    JobChanged,
    LogLine,
    RoundTripChanged,
    RunChanged,
    StorePruned,
    TunnelChanged,
    TunnelLogLine,
)
from hookdeck_tui.roundtrip import CallbackPlan, PlanError
from hookdeck_tui.roundtrip.attempts import describe_attempt
from hookdeck_tui.runtime import settle_after_start
from hookdeck_tui.signatures import SchemeError, SignatureVerdict
from hookdeck_tui.signatures.base import SecretError
from hookdeck_tui.signatures.report import pending_hint
from hookdeck_tui.store import (
    CapturedEvent,
    Delivery,
    EventFilter,
    FilterError,
    ForwardOutcome,
    JobState,
    RoundTrip,
    RouteMatch,
    RunRecord,
)
from hookdeck_tui.store.exchange import format_for
from hookdeck_tui.store.window import EventWindow

if TYPE_CHECKING:  # loaded when a diagnosis is first made (signatures/__init__.py), not with the console
    from hookdeck_tui.signatures.diagnosis import Diagnosis as Diagnosis


class RunReads(Protocol):
    """What a workflow pane reads: runs and their job states."""

    def runs(self, limit: int = 50, *, run_ids: list[str] | None = None) -> list[RunRecord]: ...

    def job_states(self, run_id: str) -> list[JobState]: ...


class EventReads(RunReads, Protocol):
    """What the detail pane reads about an event beyond the event itself."""

    def deliveries(self, event_id: int) -> list[Delivery]: ...

    def derived_from(self, event_id: int, limit: int = 20) -> list[CapturedEvent]: ...

    def round_trip(self, channel_id: str) -> RoundTrip | None: ...

    def callback_attempts(self, event_id: int) -> list[dict[str, Any]]: ...

    def clock(self) -> float: ...


__all__ = [
    "LISTENER", "TEMPLATES", "VARIANTS", "AnswerChange", "Attempt", "CallbackPlan", "CapturedEvent", "Check",
    "Delivery", "Dropped", "Edits", "EngineMessage", "EventFilter", "EventReads", "EventStored", "EventUpdated",
    "EventWindow", "FilterError", "ForgeError", "ForgeSpec", "Forged", "ForwardOutcome", "JobChanged", "JobState",
    "LogLine", "OverrideError", "PlanError", "Queued", "ReplayError", "ReplayOutcome", "RetrySchedule", "RoundTrip",
    "RoundTripChanged", "RouteMatch", "RunChanged", "RunReads", "RunRecord", "SchemeError", "SecretError",
    "SignatureVerdict", "StorePruned", "Subscription", "TunnelChanged", "TunnelLogLine", "describe_attempt",
    "describe_simulated", "forge", "format_for", "get_template", "loads_bounded", "parse_time_scale", "pending_hint",
    "schedule_for", "scorecard", "settle_after_start",
]
