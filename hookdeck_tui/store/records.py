"""What the store keeps for each request, and its JSON form (used by `events --json`, `show --json`, NDJSON)."""

from __future__ import annotations

import base64
import json
import json.encoder as json_encoder
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hookdeck_tui.signatures.verdict import SignatureVerdict
from hookdeck_tui.store.event_fields import EventMeta, ForwardOutcome, RouteMatch, Timings

__all__ = ["ORIGINS", "CapturedEvent", "EventMeta", "ForwardOutcome", "RouteMatch", "SignatureVerdict", "Timings",
           "body_fields", "dumps", "loads"]

ORIGINS = ("external", "replay", "forged", "callback", "import")


@dataclass
class CapturedEvent:
    """One request as received: the exact body bytes and the headers in order, duplicates included."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    query: str = ""
    received_at: float = field(default_factory=time.time)
    listener: str = ""  # for display: the listener's `host:port`, or `→ url` for what hooktui sent
    remote_addr: str = ""
    response_status: int | None = None
    signature: SignatureVerdict | None = None
    route: str | None = None
    match: RouteMatch | None = None
    forward: ForwardOutcome | None = None
    origin: str = "external"
    origin_ref: int | None = None
    timings: Timings | None = None
    error: str | None = None
    meta: EventMeta | None = None
    sent: bool = False  # a request hooktui sent (forged, replayed to a URL, a probe), not one it received
    listener_host: str | None = None  # the listener that received it (None for what hooktui sent, or imported)
    listener_port: int | None = None
    id: int | None = None
    stored_body_size: int | None = field(default=None, repr=False)  # set when a listing left the body out

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive)."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    @property
    def body_size(self) -> int:
        return len(self.body) if self.stored_body_size is None else self.stored_body_size

    @property
    def run_ids(self) -> list[str]:
        """The workflow runs this request started (trigger) or resumed (callback)."""
        return self.match.run_ids if self.match is not None else []

    @property
    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    def to_json(self, *, include_body: bool = True) -> dict[str, Any]:
        """A JSON-ready dict. The body is text when it is UTF-8, else base64 (`body_base64`), never re-encoded."""
        data: dict[str, Any] = {
            **self._identity(),
            "remote_addr": self.remote_addr,
            "status": self.response_status,
            "headers": [list(pair) for pair in self.headers],
            "body_size": self.body_size,
            "signature": _verdict_json(self.signature, details=True),
            "route": self.route,
            "match": self.match.to_json() if self.match is not None else None,
            "forward": self.forward.to_json() if self.forward is not None else None,
            "origin": self.origin,
            "origin_ref": self.origin_ref,
            "timings": self.timings,
            "error": self.error,
            "meta": self.meta,
        }
        if include_body:
            data.update(body_fields(self.body))
        return data


    def _identity(self) -> dict[str, Any]:
        return {"id": self.id, "received_at": datetime.fromtimestamp(self.received_at, UTC).isoformat(),
                "listener": self.listener, "method": self.method, "path": self.path, "query": self.query}

    def summary_json(self) -> dict[str, Any]:
        """The one-line form (`hooktui listen --json`, the event stream): no headers, body or diagnosis (an
        invalid signature says `diagnosis: pending`) — `hooktui show ID` has everything."""
        return {
            **self._identity(),
            "status": self.response_status,
            "body_size": self.body_size,
            "signature": _verdict_json(self.signature, details=False),
            "route": self.route,
            "match": self.match.to_json() if self.match is not None else None,
            "forward": self.forward.summary_json() if self.forward is not None else None,
            "origin": self.origin,
            "origin_ref": self.origin_ref,
            "error": self.error,
        }


def _verdict_json(verdict: SignatureVerdict | None, *, details: bool) -> dict[str, Any] | None:
    if verdict is None:
        return None
    data: dict[str, Any] = {"scheme": verdict.scheme, "status": verdict.status, "reason": verdict.reason}
    if details:
        data["details"] = verdict.details
    elif verdict.details.get("diagnosis") == "pending":
        data["diagnosis"] = "pending"  # computed where it is shown (`hooktui show ID`), never on the request path
    return data


def body_fields(body: bytes) -> dict[str, str]:
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(body).decode("ascii")}


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
# The C encoder behind _ENCODER, made once: JSONEncoder.encode builds a new one on every call, which was half the
# cost of encoding a stored row's headers (4.4 -> 2.2 us). No circular-reference check: stored values are trees.
_C_MAKE_ENCODER = getattr(json_encoder, "c_make_encoder", None)  # private to json, and absent without its C part
_C_ENCODE = (_C_MAKE_ENCODER(None, str, json_encoder.encode_basestring, None, ":", ",", False, False, True)
             if _C_MAKE_ENCODER is not None else None)


def dumps(value: Any) -> str | None:
    if value is None:
        return None
    if _C_ENCODE is None or isinstance(value, str):  # the C encoder yields a bare string's text unquoted
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
