"""A captured event as a row of the `events` table and back: the only place its typed parts (match, forward,
meta, timings) become JSON text, and where the writer's functions for events live — module-level, so the writer
process can unpickle and run them."""

from __future__ import annotations

import sqlite3
from typing import Any

from hookdeck_tui.signatures.verdict import SignatureVerdict
from hookdeck_tui.store.event_fields import ForwardOutcome, RouteMatch
from hookdeck_tui.store.records import CapturedEvent, dumps, loads

Row = tuple[Any, ...]

SUMMARY_COLUMNS = ("id, received_at, listener, method, path, query, headers, X'' AS body, remote_addr, "
                   "response_status, sig_scheme, sig_status, sig_reason, signature, route, match, forward, origin, "
                   "origin_ref, timings, error, meta, body_size, sent, listener_host, listener_port")
FULL_COLUMNS = SUMMARY_COLUMNS.replace("X'' AS body", "body")
INSERT_EVENT = (
    "INSERT INTO events (received_at, listener, method, path, query, headers, body, body_size, remote_addr, "
    "response_status, sig_scheme, sig_status, sig_reason, signature, route, match, forward, origin, origin_ref, "
    "timings, error, sent, listener_host, listener_port, meta) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
UPDATABLE = {"response_status", "route", "match", "forward", "error", "timings", "meta"}
_JSON_FIELDS = {"match", "forward", "timings", "meta"}


def plain(value: object) -> object:
    """A typed part as the JSON-ready value it is stored as."""
    return value.to_json() if isinstance(value, RouteMatch | ForwardOutcome) else value


def event_values(e: CapturedEvent) -> Row:
    """The event's stored fields as plain values (no JSON text yet: the writer process encodes them; no classes
    it would have to unpickle). `meta` comes last."""
    sig = e.signature
    return (e.received_at, e.listener, e.method, e.path, e.query, e.headers, e.body, e.remote_addr,
            e.response_status, sig.scheme if sig else None, sig.status if sig else None, sig.reason if sig else None,
            sig.details if sig else None, e.route, plain(e.match), plain(e.forward), e.origin, e.origin_ref,
            e.timings, e.error, int(e.sent), e.listener_host, e.listener_port, e.meta)


def event_row(received_at: float, listener: str, method: str, path: str, query: str, headers: object, body: bytes,
              remote_addr: str, status: int | None, sig_scheme: str | None, sig_status: str | None,
              sig_reason: str | None, sig_details: object, route: str | None, match: object, forward: object,
              origin: str, origin_ref: int | None, timings: object, error: str | None, sent: int,
              listener_host: str | None, listener_port: int | None, meta: object) -> Row:
    """`event_values` encoded as the INSERT's parameters."""
    return (received_at, listener, method, path, query, dumps(headers), body, len(body), remote_addr, status,
            sig_scheme, sig_status, sig_reason, dumps(sig_details) if sig_status else None, route, dumps(match),
            dumps(forward), origin, origin_ref, dumps(timings), error, sent, listener_host, listener_port,
            dumps(meta))


def row_to_event(row: Row) -> CapturedEvent:
    (id_, received_at, listener, method, path, query, headers, body, remote_addr, status, sig_scheme, sig_status,
     sig_reason, signature, route, match, forward, origin, origin_ref, timings, error, meta, size, sent,
     listener_host, listener_port) = row
    verdict = (SignatureVerdict(sig_scheme, sig_status, sig_reason or "", loads(signature) or {})
               if sig_status else None)
    match_json, forward_json = loads(match), loads(forward)
    return CapturedEvent(
        id=id_, received_at=received_at, listener=listener, method=method, path=path, query=query,
        headers=[(k, v) for k, v in loads(headers)], body=bytes(body), remote_addr=remote_addr,
        response_status=status, signature=verdict, route=route,
        match=RouteMatch.from_json(match_json) if isinstance(match_json, dict) else None,
        forward=ForwardOutcome.from_json(forward_json) if isinstance(forward_json, dict) else None,
        origin=origin, origin_ref=origin_ref, timings=loads(timings), error=error, meta=loads(meta),
        sent=bool(sent), listener_host=listener_host, listener_port=listener_port, stored_body_size=size)


def insert_all(connection: sqlite3.Connection, rows: list[Row]) -> list[int]:
    """Inside the writer's transaction, which holds SQLite's only write lock: no other row comes in between."""
    before = connection.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    connection.executemany(INSERT_EVENT, rows)
    return [row[0] for row in connection.execute("SELECT id FROM events WHERE id > ? ORDER BY id", (before,))]


def update_columns(c: sqlite3.Connection, event_id: int, fields: dict[str, Any]) -> None:
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
    assignments = ", ".join(f"{name} = ?" for name in fields)
    values = [dumps(v) if k in _JSON_FIELDS else v for k, v in fields.items()]
    c.execute(f"UPDATE events SET {assignments} WHERE id = ?", (*values, event_id))
