"""What the faces read through the door: thin typed pass-throughs to the store and the tunnels, so a screen never
holds the store (or reaches into the engine) itself."""

from __future__ import annotations

from typing import IO, Any

from hookdeck_tui.config import Config
from hookdeck_tui.roundtrip.attempts import callback_attempts
from hookdeck_tui.store import CapturedEvent, Delivery, EventFilter, JobState, RoundTrip, RunRecord, Store
from hookdeck_tui.store.exchange import export
from hookdeck_tui.store.window import EventWindow
from hookdeck_tui.tunnels.manager import TunnelManager


class ConsoleReads:
    config: Config
    store: Store
    tunnels: TunnelManager

    def event(self, event_id: int) -> CapturedEvent | None:
        return self.store.get(event_id)

    def last_id(self) -> int:
        return self.store.last_id()

    def count(self, *, up_to: int | None = None) -> int:
        return self.store.count(up_to=up_to)

    def tally(self, up_to: int) -> dict[str, int]:
        return self.store.tally(up_to)

    def tally_since(self, after_id: int) -> tuple[dict[str, int], int]:
        return self.store.tally_since(after_id)

    def event_window(self, filters: EventFilter | None = None) -> EventWindow:
        """A windowed, filtered view of the events for a list (it pages through the store itself)."""
        return EventWindow(self.store, filters)

    def runs(self, limit: int = 50, *, run_ids: list[str] | None = None) -> list[RunRecord]:
        return self.store.runs(limit, run_ids=run_ids)

    def job_states(self, run_id: str) -> list[JobState]:
        return self.store.job_states(run_id)

    def deliveries(self, event_id: int) -> list[Delivery]:
        return self.store.deliveries(event_id)

    def derived_from(self, event_id: int, limit: int = 20) -> list[CapturedEvent]:
        return self.store.derived_from(event_id, limit)

    def round_trip(self, channel_id: str) -> RoundTrip | None:
        return self.store.round_trip(channel_id)

    def callback_attempts(self, event_id: int) -> list[dict[str, Any]]:
        return callback_attempts(self.store, event_id)

    def clock(self) -> float:
        return self.store.clock()

    def tunnel_log(self, port: int) -> list[str]:
        """The recent log lines of the tunnel to `port` (empty when there is none)."""
        supervisor = self.tunnels.tunnels.get(port)
        return list(supervisor.state.log) if supervisor is not None else []

    def export(self, out: IO[str], *, fmt: str, filters: EventFilter | None = None,
               base_url: str | None = None) -> int:
        """Write the events `filters` selects as HAR or NDJSON (credentials masked); how many were written."""
        return export(self.store, out, fmt=fmt, filters=filters, base_url=base_url)
