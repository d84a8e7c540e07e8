"""`hooktui export`, `hooktui import` and `hooktui show ID --curl|--har`: the store's events in and out as HAR
(browser tools, HTTP clients) or NDJSON (hooktui, jq), bodies byte-exact."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from hookdeck_tui.delivery.curl import as_curl
from hookdeck_tui.formatting import json_safe
from hookdeck_tui.store import EventFilter, Store, StoreWriteError
from hookdeck_tui.store.exchange import ExchangeError, export, format_for, read_events, without_credentials, write_har

DEFAULT_BASE_URL = "http://127.0.0.1:8090"


def run_export(store: Store, *, fmt: str | None, out: str | None, filters: EventFilter, base_url: str | None,
               credentials: bool = False) -> int:
    chosen = format_for(out or "", fmt) if out else (fmt or "har")
    if out is None or out == "-":
        count = export(store, sys.stdout, fmt=chosen, filters=filters, base_url=base_url,
                       credentials=credentials)
    else:
        try:
            with Path(out).open("w", encoding="utf-8") as stream:
                count = export(store, stream, fmt=chosen, filters=filters, base_url=base_url,
                               credentials=credentials)
        except OSError as exc:
            print(f"hooktui export: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    print(f"exported {count} event{'s' if count != 1 else ''} as {chosen.upper()}"
          f"{' to ' + out if out and out != '-' else ''}", file=sys.stderr)
    return 0


def run_import(store: Store, path: str) -> int:
    """All or nothing: the file is read whole before anything is stored, so a bad entry stores no half import."""
    try:
        events = list(read_events(path))
    except ExchangeError as exc:
        print(f"hooktui import: {exc}", file=sys.stderr)
        return 2
    try:
        ids = store.append_many(events)
    except StoreWriteError as exc:
        print(f"hooktui import: nothing imported: {exc}", file=sys.stderr)
        return 1
    if ids:
        print(f"imported {len(ids)} event{'s' if len(ids) != 1 else ''} from {path} as #{ids[0]}–#{ids[-1]} "
              "(origin import; the original ids and times are in each event's meta.imported)")
    else:
        print(f"{path} holds no events", file=sys.stderr)
    return 0


def run_show_as(store: Store, event_id: int, *, form: str, base_url: str | None,
                credentials: bool = False) -> int:
    event = store.get(event_id)
    if event is None:
        print(f"hooktui show: no event #{event_id} in {store.path}", file=sys.stderr)
        return 1
    masked = []
    if not credentials:
        shown = without_credentials(event)
        masked = [name for (name, value), (_, kept) in zip(event.headers, shown.headers, strict=True) if value != kept]
        event = shown
    if form == "curl":
        note = f"  # {', '.join(masked)} masked: --with-credentials for the real value" if masked else ""
        print(as_curl(event, base_url) + note)
    else:
        stream = io.StringIO()
        write_har([event], stream, base_url)
        print(json_safe(json.dumps(json.loads(stream.getvalue()), ensure_ascii=False, indent=2)))
    return 0
