"""The reads behind the console's event list, as functions over a read connection, so they can run on a thread of
their own (store/window.py) and never on the event loop the listeners share.

Pages are anchored by id (keyset paging), never by OFFSET: the oldest page is `id > floor ORDER BY id`, the newest
`id <= newest ORDER BY id DESC`, and the page next to a loaded one continues from its first or last id — each an
index range on the primary key, as cheap at the start of a million-event history as at its end.

Each row comes with its event type (`invoice.paid`, `push`), read once here: the header that names it, else the
`type` / `event_type` / `event` / `command` key of a JSON body. The list reads summaries without bodies, so the body
keys are pulled out by SQLite's JSON functions in the page query — in C, with the GIL released, so a page of
50 KB Stripe events (whose `type` comes last, past any prefix worth reading) costs the listeners nothing — and only
for bodies up to TYPED_BODY_LIMIT bytes; a small form body (a Slack slash command) is read whole and parsed here."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields
from urllib.parse import parse_qsl

from hookdeck_tui.event_types import event_type
from hookdeck_tui.store import CapturedEvent, EventFilter
from hookdeck_tui.store.event_rows import SUMMARY_COLUMNS, row_to_event

TYPED_BODY_LIMIT = 256 * 1024  # larger bodies are listed without a type from the body (a header still names one)
FORM_BODY_LIMIT = 8 * 1024  # a form (a Slack slash command names its `command`) is parsed here in Python: small ones
_BODY_TYPE_KEYS = ("type", "event_type", "event", "command")
# one parse of the body (json_valid, then json_extract of several paths); a body that is not a JSON object gets NULL
_BODY_TYPE = (f"CASE WHEN body_size BETWEEN 2 AND {TYPED_BODY_LIMIT} AND substr(body, 1, 1) = X'7B' "
              "AND json_valid(CAST(body AS TEXT)) THEN CAST(json_extract(CAST(body AS TEXT), "
              + ", ".join(f"'$.{key}'" for key in _BODY_TYPE_KEYS) + ") AS TEXT) END")
_FORM_BODY = (f"CASE WHEN body_size <= {FORM_BODY_LIMIT} AND instr(lower(headers), 'x-www-form-urlencoded') > 0 "
              "THEN CAST(body AS TEXT) END")
# A page comes back as ONE value, a JSON array of rows built by SQLite: the reader thread then needs the GIL back once
# per page instead of once per row (each sqlite3 step releases it, and while the loop is busy, taking it back waits
# for the loop's switch interval, 5 ms — a 100-row page read row by row could wait half a second)
_NAMES = [column.rsplit(" ", 1)[-1] for column in SUMMARY_COLUMNS.split(", ")]  # the summary's columns, in order
_ROW = "json_array(" + ", ".join("''" if name == "body" else name for name in _NAMES) + ", body_keys, form)"
_EVENT_FIELDS = tuple(f.name for f in fields(CapturedEvent))


@dataclass
class ListedEvent(CapturedEvent):
    """A stored event as the list shows it: the summary (no body) and its event type."""

    event_type: str | None = None


def _page_sql(where: str, order: str) -> str:
    return (f"SELECT CAST(json_group_array({_ROW}) AS BLOB) FROM (SELECT {SUMMARY_COLUMNS}, "
            f"{_BODY_TYPE} AS body_keys, {_FORM_BODY} AS form FROM events WHERE {where} ORDER BY id {order} LIMIT ?)")


def _decoded(page: bytes, order: str) -> list[ListedEvent]:
    rows = [_listed(row) for row in json.loads(page.decode("utf-8", "replace"))]
    return sorted(rows, key=lambda row: row.id or 0, reverse=order == "DESC")


def _page(connection: sqlite3.Connection, where: str, params: list[object], order: str) -> list[ListedEvent]:
    (page,) = connection.execute(_page_sql(where, order), params).fetchone()
    return _decoded(bytes(page), order)


def _listed(row: list[object]) -> ListedEvent:
    *columns, body_keys, form = row
    columns[_NAMES.index("body")] = b""
    event = row_to_event(tuple(columns))
    listed = ListedEvent(**{name: getattr(event, name) for name in _EVENT_FIELDS})
    listed.event_type = _type_of(event, body_keys, form)
    return listed


def _type_of(event: CapturedEvent, body_keys: object, form: object) -> str | None:
    parsed: dict[str, object] = {}
    if isinstance(form, str):
        parsed = dict(parse_qsl(form, keep_blank_values=True))
    elif isinstance(body_keys, str):
        try:
            values = json.loads(body_keys)
        except ValueError:
            values = None
        if isinstance(values, list) and len(values) == len(_BODY_TYPE_KEYS):
            parsed = dict(zip(_BODY_TYPE_KEYS, values, strict=True))
    return event_type(event.headers, b"", parsed)


def ascending(connection: sqlite3.Connection, filters: EventFilter, *, after: int, up_to: int,
              limit: int) -> list[ListedEvent]:
    """Matching events with after < id <= up_to, oldest first."""
    where, params = filters.sql()
    return _page(connection, f"id > ? AND id <= ? AND {where}", [after, up_to, *params, limit], "ASC")


def descending(connection: sqlite3.Connection, filters: EventFilter, *, before: int,
               limit: int) -> list[ListedEvent]:
    """Matching events with id < before, newest first."""
    where, params = filters.sql()
    return _page(connection, f"id < ? AND {where}", [before, *params, limit], "DESC")


def by_ids(connection: sqlite3.Connection, ids: list[int]) -> list[ListedEvent]:
    """These events as stored now (a row changed after it was listed), in id order."""
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    return _page(connection, f"id IN ({marks})", [*ids, len(ids)], "ASC")


def count(connection: sqlite3.Connection, filters: EventFilter, *, up_to: int) -> int:
    where, params = filters.sql()
    row = connection.execute(f"SELECT count(*) FROM events WHERE id <= ? AND {where}", [up_to, *params]).fetchone()
    return int(row[0])


def arrivals(connection: sqlite3.Connection, filters: EventFilter, after: int,
             limit: int) -> tuple[int, int, list[ListedEvent]]:
    """(matching events with id > after, the newest id, the newest `limit` of them newest first), along the primary
    key, in one statement: one snapshot, and one wait for the GIL on a thread while the loop is busy."""
    where, params = filters.sql()
    sql = (f"SELECT coalesce(sum(CASE WHEN {where} THEN 1 ELSE 0 END), 0), coalesce(max(id), ?), "
           f"({_page_sql(f'id > ? AND {where}', 'DESC')}) FROM events WHERE id > ?")
    added, newest, page = connection.execute(sql, [*params, after, after, *params, limit, after]).fetchone()
    return int(added), int(newest), _decoded(bytes(page), "DESC") if added else []


def id_span(connection: sqlite3.Connection) -> tuple[int, int]:
    """(oldest id, newest id), (0, 0) for an empty store: two index look-ups."""
    row = connection.execute("SELECT (SELECT coalesce(min(id), 0) FROM events), "
                             "(SELECT coalesce(max(id), 0) FROM events)").fetchone()  # each one index look-up
    return int(row[0]), int(row[1])
