"""Deliveries: every attempt to send an event somewhere (a forward to the app, a replay, a send, a callback), kept
whole — the event itself keeps only the outcome and a preview."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from hookdeck_tui.store.base import StoreBase, execute
from hookdeck_tui.store.records import dumps, loads


@dataclass(frozen=True)
class Delivery:
    id: int
    kind: str  # forward | replay | send | callback
    target: str
    attempt: int
    started_at: float
    status: int | None
    latency_ms: float | None
    response_headers: list[tuple[str, str]] | None
    response_body: bytes | None
    error: str | None


class DeliveryRecords(StoreBase):
    async def add_delivery(self, event_id: int | None, kind: str, target: str, *, attempt: int = 1,
                           started_at: float | None = None, status: int | None = None,
                           latency_ms: float | None = None, response_headers: list[tuple[str, str]] | None = None,
                           response_body: bytes | None = None, error: str | None = None) -> int:
        row_id: int = await self._writer.submit_async(partial(execute, sql=(
            "INSERT INTO deliveries (event_id, kind, target, attempt, started_at, status, latency_ms, "
            "response_headers, response_body, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"), params=(
            event_id, kind, target, attempt, started_at or self.clock(), status, latency_ms,
            dumps(response_headers), response_body, error)))
        return row_id

    def deliveries(self, event_id: int) -> list[Delivery]:
        rows = self._query("SELECT id, kind, target, attempt, started_at, status, latency_ms, response_headers, "
                           "response_body, error FROM deliveries WHERE event_id = ? ORDER BY id", (event_id,))
        return [Delivery(id_, kind, target, attempt, started_at, status, latency_ms,
                         None if headers is None else [(str(k), str(v)) for k, v in loads(headers)],
                         None if body is None else bytes(body), error)
                for id_, kind, target, attempt, started_at, status, latency_ms, headers, body, error in rows]
