"""What the engine says happened, one frozen dataclass per kind: the bus carries these, and each face reads typed
fields instead of guessing at dict keys. `kind` is the name on the wire (the SSE stream's `event:` line) and
`to_json` the payload there — the one place a message becomes JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from hookdeck_tui.store.records import CapturedEvent
from hookdeck_tui.store.round_trips import RoundTrip


@dataclass(frozen=True)
class EngineMessage:
    kind: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any]:
        """The payload on the wire: the fields by name (a message holding a record says how it is summarised)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def weight(self) -> int:
        """About the bytes this message keeps alive while a subscriber has it queued."""
        return 64


@dataclass(frozen=True)
class _AboutAnEvent(EngineMessage):
    event: CapturedEvent
    final: bool = True  # nothing more (a forward under way) will be recorded about it

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event.summary_json(), "final": self.final}

    def weight(self) -> int:
        event = self.event
        return 576 + len(event.body) + sum(len(k) + len(v) for k, v in event.headers)


@dataclass(frozen=True)
class EventStored(_AboutAnEvent):
    """An event was committed (published only when a subscriber wants it: a console's list reads the store)."""

    kind: ClassVar[str] = "event"


@dataclass(frozen=True)
class EventUpdated(_AboutAnEvent):
    """A stored event changed (its forward result, its route's match, a send's answer): rows showing it are stale.
    The one signal a face has that rows it shows changed."""

    kind: ClassVar[str] = "event-updated"


@dataclass(frozen=True)
class LogLine(EngineMessage):
    """A line for the Log pane and `hooktui listen`'s stderr; a workflow's logger names its run and job."""

    kind: ClassVar[str] = "log"
    level: str
    message: str
    data: Any = None
    run_id: str | None = None
    job: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"level": self.level, "message": self.message}
        if self.run_id is not None:
            body.update(data=self.data, run_id=self.run_id, job=self.job)
        return body

    def weight(self) -> int:
        return 64 + len(str(self.message)) + (len(str(self.data)) if self.data is not None else 0)


@dataclass(frozen=True)
class TunnelChanged(EngineMessage):
    """A tunnel's status, public URL or last error changed."""

    kind: ClassVar[str] = "tunnel"
    name: str
    driver: str
    port: int
    status: str
    public_url: str | None = None
    last_error: str | None = None
    restarts: int = 0


@dataclass(frozen=True)
class TunnelLogLine(EngineMessage):
    kind: ClassVar[str] = "tunnel-log"
    tunnel: str
    line: str

    def weight(self) -> int:
        return 64 + len(self.line)


@dataclass(frozen=True)
class RunChanged(EngineMessage):
    """A workflow run's status changed (its record is in the store)."""

    kind: ClassVar[str] = "run"
    run_id: str
    workflow: str
    status: str
    output: Any = None
    error: str | None = None


@dataclass(frozen=True)
class JobChanged(EngineMessage):
    kind: ClassVar[str] = "job"
    run_id: str
    job: str
    state: str
    detail: Any = None


@dataclass(frozen=True)
class RoundTripChanged(EngineMessage):
    """A forged event's round trip ended (completed, failed, refused, timed out): `trip` is its stored record."""

    kind: ClassVar[str] = "round-trip"
    trip: RoundTrip

    def to_json(self) -> dict[str, Any]:
        return {"trip": asdict(self.trip)}


@dataclass(frozen=True)
class StorePruned(EngineMessage):
    """The retention removed old events: counts and lists read the store again."""

    kind: ClassVar[str] = "store-pruned"
    removed: int


@dataclass(frozen=True)
class Dropped(EngineMessage):
    """The last thing a subscriber that fell too far behind receives (see bus.Subscription)."""

    kind: ClassVar[str] = "dropped"
    reason: str
    lost: int


MESSAGES: tuple[type[EngineMessage], ...] = (EventStored, EventUpdated, LogLine, TunnelChanged, TunnelLogLine,
                                             RunChanged, JobChanged, RoundTripChanged, StorePruned, Dropped)

__all__ = ["MESSAGES", "Dropped", "EngineMessage", "EventStored", "EventUpdated", "JobChanged", "LogLine",
           "RoundTripChanged", "RunChanged", "StorePruned", "TunnelChanged", "TunnelLogLine"]
