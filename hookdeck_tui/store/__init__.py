"""The capture store: every request, run and delivery in one SQLite file.

Writes go through one group-commit writer (`writer.py`); reads use their own connection, so listing
history never waits behind a burst of writes. `await store.append(event)` returns the event's id once the row
is committed — the listener acknowledges a request only after that.

One module per kind of record (events.py, runs.py, deliveries.py, round_trips.py), each a part of `Store` built
on the shared connection and writer (base.py): callers keep one object, each kind keeps its SQL and its record type
to itself.
"""

from __future__ import annotations

from hookdeck_tui.signatures.verdict import SignatureVerdict
from hookdeck_tui.store.base import StoreError
from hookdeck_tui.store.commit import StoreWriteError
from hookdeck_tui.store.deliveries import Delivery, DeliveryRecords
from hookdeck_tui.store.event_fields import EventMeta, ForwardOutcome, RouteMatch, Timings
from hookdeck_tui.store.events import EventRecords
from hookdeck_tui.store.filters import EventFilter, FilterError
from hookdeck_tui.store.location import default_db_path
from hookdeck_tui.store.records import CapturedEvent
from hookdeck_tui.store.round_trips import RoundTrip, RoundTripRecords
from hookdeck_tui.store.runs import JobState, RunRecord, RunRecords
from hookdeck_tui.store.schema import SchemaError

__all__ = [
    "CapturedEvent", "Delivery", "EventFilter", "EventMeta", "FilterError", "ForwardOutcome", "JobState",
    "RoundTrip", "RouteMatch", "RunRecord", "SchemaError", "SignatureVerdict", "Store", "StoreError",
    "StoreWriteError", "Timings", "default_db_path",
]


class Store(EventRecords, RunRecords, DeliveryRecords, RoundTripRecords):
    """The one object callers hold. Its parts share `StoreBase` (the file, the writer, the reader): mixins rather
    than members, so that `store.page(...)`, `store.runs()`… stay where every caller has them without a layer of
    forwarding methods."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
