"""Export and import of captured events: HAR 1.2 (what browser tools and HTTP clients open) and NDJSON (one
`hooktui show --json` object a line). Bodies stay byte-exact: text when they are UTF-8, base64 otherwise. Both
formats are written as a stream, so exporting a huge history never holds it in memory.

HAR entries carry hooktui's own fields (verdict, route, origin…) under `_hooktui`, which HAR allows; a HAR from
another tool imports from its standard fields alone."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import parse_qsl, urlsplit

from hookdeck_tui import __version__
from hookdeck_tui.addressing import DEFAULT_LISTENER_URL, listener_url
from hookdeck_tui.formatting import mask_header
from hookdeck_tui.signatures.verdict import SignatureVerdict
from hookdeck_tui.store.event_fields import EventMeta, ForwardOutcome, RouteMatch
from hookdeck_tui.store.events import EventRecords
from hookdeck_tui.store.filters import EventFilter
from hookdeck_tui.store.records import CapturedEvent, body_fields

FORMATS = ("har", "ndjson")
_BATCH = 500


class ExchangeError(ValueError):
    """A file that is neither HAR nor hooktui NDJSON, or an entry that cannot be read; says where."""


def format_for(path: str | Path, explicit: str | None = None) -> str:
    """The export format: as asked, else from the file's extension (`.har`, `.ndjson`/`.jsonl`), else NDJSON."""
    if explicit:
        return explicit
    suffix = Path(path).suffix.lower()
    return "har" if suffix == ".har" else "ndjson"


def matching_events(store: EventRecords, filters: EventFilter | None = None) -> Iterator[CapturedEvent]:
    """Every event the filter matches, oldest first, read a batch at a time."""
    after = 0
    while True:
        batch = store.page(after=after, limit=_BATCH, filters=filters, include_body=True)
        if not batch:
            return
        yield from batch
        after = batch[-1].id or 0


def write_ndjson(events: Iterable[CapturedEvent], out: IO[str]) -> int:
    count = 0
    for event in events:
        out.write(json.dumps(event.to_json(), ensure_ascii=False, default=str))
        out.write("\n")
        count += 1
    return count


def write_har(events: Iterable[CapturedEvent], out: IO[str], base_url: str | None = None) -> int:
    creator = {"name": "hooktui", "version": __version__}
    out.write('{"log": {"version": "1.2", "creator": ' + json.dumps(creator) + ', "entries": [\n')
    count = 0
    for event in events:
        if count:
            out.write(",\n")
        out.write(json.dumps(har_entry(event, base_url), ensure_ascii=False, default=str))
        count += 1
    out.write("\n]}}\n")
    return count


def export(store: EventRecords, out: IO[str], *, fmt: str, filters: EventFilter | None = None,
           base_url: str | None = None, credentials: bool = False) -> int:
    """Write the matching events. Credential headers (Authorization, Cookie, API keys) are masked unless
    `credentials`: an export is a file that travels, as browsers' sanitized HAR export decided too."""
    events = matching_events(store, filters)
    if not credentials:
        events = map(without_credentials, events)
    return write_har(events, out, base_url) if fmt == "har" else write_ndjson(events, out)


def without_credentials(event: CapturedEvent) -> CapturedEvent:
    """A copy of the event with credential header values masked (request headers, and the app's answer's); the
    event itself is left as received (a diagnosis recomputes signatures over its headers)."""
    forward = event.forward
    if forward is not None and forward.headers:
        forward = dataclasses.replace(forward, headers=[(name, mask_header(name, value))
                                                        for name, value in forward.headers])
    return dataclasses.replace(event, headers=[(name, mask_header(name, value)) for name, value in event.headers],
                               forward=forward)


def event_origin(event: CapturedEvent, base_url: str | None = None) -> str:
    """Scheme and host for an event's URL: `base_url` when given, else where hooktui sent it, else the listener
    that received it, else hooktui's default listener."""
    if base_url:
        return base_url.rstrip("/")
    sent_to = (event.meta or {}).get("sent_to") if event.sent else None
    if sent_to:
        parts = urlsplit(sent_to)
        return f"{parts.scheme}://{parts.netloc}"
    if event.listener_port is None:
        return DEFAULT_LISTENER_URL
    return listener_url((event.listener_host or "").strip("[]"), event.listener_port)


def har_entry(event: CapturedEvent, base_url: str | None) -> dict[str, Any]:
    mime = event.header("content-type") or ""
    post_data: dict[str, Any] = {"mimeType": mime, "params": []}
    fields = body_fields(event.body)
    if "body" in fields:
        post_data["text"] = fields["body"]
    else:
        post_data["text"] = fields["body_base64"]
        post_data["encoding"] = "base64"  # as HAR's response `content` has it; readers that don't know it skip it
    request = {
        "method": event.method,
        "url": event_origin(event, base_url) + event.target,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": name, "value": value} for name, value in event.headers],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(event.query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": event.body_size,
    }
    if event.body or event.method not in ("GET", "HEAD"):
        request["postData"] = post_data
    status = event.response_status or 0
    handled = (event.timings or {}).get("handled_ms", 0)
    extra = event.to_json(include_body=False)
    for key in ("headers", "method", "path", "query"):
        extra.pop(key, None)
    return {
        "startedDateTime": datetime.fromtimestamp(event.received_at, UTC).isoformat(),
        "time": handled,
        "request": request,
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [], "headers": [],
                     "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": -1},
        "cache": {},
        "timings": {"send": 0, "wait": handled, "receive": 0},
        "_hooktui": extra,
    }


# --- import ---------------------------------------------------------------------------------------------------
def read_events(path: str | Path) -> Iterator[CapturedEvent]:
    """The events in a HAR or NDJSON file, as new captures (origin `import`) that keep their original id, time and
    file in `meta.imported`. Raises ExchangeError naming the file and entry when it cannot be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExchangeError(f"{path}: cannot read: {exc}") from exc
    stripped = text.lstrip()
    if stripped.startswith("{") and '"log"' in stripped[:200]:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ExchangeError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc
        log = document.get("log") if isinstance(document, dict) else None
        entries = log.get("entries") if isinstance(log, dict) else None
        if not isinstance(entries, list):
            raise ExchangeError(f"{path}: a HAR file needs log.entries")
        for index, entry in enumerate(entries):
            try:
                yield from_har_entry(entry, source=path.name)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ExchangeError(f"{path}: entry {index}: {_why(exc)}") from exc
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield from_json(json.loads(line), source=path.name)
        except json.JSONDecodeError as exc:
            raise ExchangeError(f"{path}:{number}:{exc.colno}: not valid JSON: {exc.msg}") from exc
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ExchangeError(f"{path}:{number}: {_why(exc)}") from exc


def _why(exc: Exception) -> str:
    """What is wrong with an entry, in words: a missing field, or a field of the wrong shape."""
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    if isinstance(exc, AttributeError | TypeError):
        return f"a field has the wrong shape ({exc})"
    return str(exc)


def _timestamp(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _body(data: dict[str, Any]) -> bytes:
    if data.get("body_base64") is not None:
        return base64.b64decode(data["body_base64"], validate=True)
    return str(data.get("body") or "").encode("utf-8")


def _verdict(data: dict[str, Any] | None) -> SignatureVerdict | None:
    if not data:
        return None
    return SignatureVerdict(data.get("scheme"), data["status"], data.get("reason") or "", data.get("details") or {})


HTTP_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}")  # RFC 9110's token


def _imported(original: dict[str, Any], source: str) -> EventMeta:
    meta = cast(EventMeta, dict(original.get("meta") or {}))  # the file's notes, kept as they are
    meta["imported"] = {"id": original.get("id"), "received_at": original.get("received_at"), "file": source,
                        "origin": original.get("origin")}
    return meta


def listener_address(label: str) -> tuple[str | None, int | None]:
    """The host and port of a `host:port` listener label, which is all the file formats carry of the listener
    (they stay as they are): read here, at the edge, as an older store's labels are read once when it is
    upgraded (schema.py) — never anywhere else."""
    host, colon, port = label.rpartition(":")
    return (host, int(port)) if colon and host and port.isascii() and port.isdigit() else (None, None)


def from_json(data: dict[str, Any], *, source: str = "") -> CapturedEvent:
    """An event from its `to_json()` form (NDJSON lines, HAR `_hooktui`)."""
    if not isinstance(data, dict):
        raise TypeError("each line must be a JSON object")
    method = str(data["method"])
    if not HTTP_TOKEN.fullmatch(method):  # it ends up in `show --curl` and replays: only what HTTP allows
        raise ValueError(f"method {method[:40]!r} is not an HTTP method")
    meta = _imported(data, source)
    sent = bool(meta.get("sent_to"))
    host, port = (None, None) if sent else listener_address(str(data.get("listener") or ""))
    match, forward = data.get("match"), data.get("forward")
    return CapturedEvent(
        method=method, path=str(data["path"]), query=str(data.get("query") or ""),
        headers=[(str(k), str(v)) for k, v in data.get("headers") or []], body=_body(data),
        received_at=_timestamp(data["received_at"]), listener=str(data.get("listener") or ""),
        remote_addr=str(data.get("remote_addr") or ""), response_status=data.get("status"),
        signature=_verdict(data.get("signature")), route=data.get("route"),
        match=RouteMatch.from_json(match) if match is not None else None,
        forward=ForwardOutcome.from_json(forward) if forward is not None else None, origin="import",
        timings=data.get("timings"), error=data.get("error"), meta=meta, sent=sent, listener_host=host,
        listener_port=port)


def from_har_entry(entry: dict[str, Any], *, source: str = "") -> CapturedEvent:
    request = entry["request"]
    url = urlsplit(request["url"])
    post = request.get("postData") or {}
    text = post.get("text") or ""
    body = base64.b64decode(text, validate=True) if post.get("encoding") == "base64" else text.encode("utf-8")
    extra = dict(entry.get("_hooktui") or {})
    data = {**extra, "method": request["method"], "path": url.path or "/", "query": url.query,
            "headers": [(h["name"], h["value"]) for h in request.get("headers") or []],
            "received_at": extra.get("received_at") or entry["startedDateTime"]}
    if "status" not in extra:
        data["status"] = (entry.get("response") or {}).get("status") or None
    event = from_json(data, source=source)
    event.body = body
    return event
