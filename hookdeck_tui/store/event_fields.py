"""The structured parts of a captured event: what its route matched, what forwarding it got, and its notes (`meta`)
and timings. Typed here so that every layer reads fields, not dict keys; they become JSON only at the store's edge
(its columns, `to_json()`, export and import), in the very shape they always had there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict


class Timings(TypedDict, total=False):
    handled_ms: float  # from the request's arrival to its commit


class EventMeta(TypedDict, total=False):
    """What hooktui noted about an event: each key is set by the part that knows it."""

    sent_to: str  # the URL hooktui sent this request to (forge, replay to a URL, probe)
    forged: dict[str, Any]  # the forge template, variant and notes it was made from
    replay: dict[str, Any]  # `of` (the original's id), `resigned`, `edited`
    attempt: dict[str, Any]  # a rehearsed redelivery: `number`, `of`, `as`
    sequence: dict[str, Any]  # a rehearsal step: `number`, `of`, ...
    simulated: dict[str, Any]  # the answer the listener simulated instead of the app's, and why
    not_forwarded: str  # why a forward target was skipped
    challenge: dict[str, Any]  # a provider's URL-verification handshake that was answered
    channel_id: str  # a round trip's callback: the channel it answered
    round_trip: dict[str, Any]  # a forged round trip's channel, or a callback's check of the contract
    duplicate: bool  # a second callback on the same channel
    late: bool  # a callback after the round trip's deadline
    told: dict[str, Any]  # what the callback's sender was answered (status, delay)
    imported: dict[str, Any]  # an import's original id, time, file and origin


@dataclass(slots=True)
class ForwardOutcome:
    """What one forward (or a send: replay, forge, probe) got back: the event keeps the status, latency and a
    preview of the body; the delivery rows keep every attempt whole. Not frozen: one is built for every listed row
    that has one, and a frozen dataclass takes twice as long to build."""

    url: str
    status: int | None
    latency_ms: float | None = None
    attempts: int = 1
    error: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body_size: int = 0
    truncated: bool = False
    body: str | None = None  # the preview as text when it is UTF-8...
    body_base64: str | None = None  # ...else base64

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url, "status": self.status, "latency_ms": self.latency_ms, "attempts": self.attempts,
            "error": self.error, "headers": [list(pair) for pair in self.headers], "body_size": self.body_size,
            "truncated": self.truncated}
        if self.body_base64 is not None:
            data["body_base64"] = self.body_base64
        else:
            data["body"] = self.body
        return data

    def summary_json(self) -> dict[str, Any]:
        """Without the body and headers: the one-line form."""
        return {key: value for key, value in self.to_json().items() if key not in ("body", "body_base64", "headers")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ForwardOutcome:
        get = data.get
        return cls(get("url") or "", get("status"), get("latency_ms"), get("attempts") or 0, get("error"),
                   [(str(name), str(value)) for name, value in get("headers") or ()], get("body_size") or 0,
                   bool(get("truncated")), get("body"), get("body_base64"))


@dataclass
class RouteMatch:
    """What a callback or trigger route made of a request: its evaluated items (callback items, or the runs to
    start), the expressions' error, and what the workflow engine said about each (`engine`, after the commit)."""

    kind: Literal["callback", "trigger"]
    items: list[dict[str, Any]] = field(default_factory=list)
    workflow: str | None = None  # a trigger's workflow
    error: str | None = None
    engine: list[dict[str, Any]] | None = None

    @property
    def run_ids(self) -> list[str]:
        """The workflow runs this request started (trigger) or resumed (callback)."""
        return [entry["run_id"] for entry in self.engine or [] if isinstance(entry, dict) and entry.get("run_id")]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = ({"kind": "callback", "items": self.items} if self.kind == "callback" else
                                {"kind": "trigger", "workflow": self.workflow, "runs": self.items})
        if self.error is not None:
            data["error"] = self.error
        if self.engine is not None:
            data["engine"] = self.engine
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RouteMatch:
        kind: Literal["callback", "trigger"] = "trigger" if data.get("kind") == "trigger" else "callback"
        items = data.get("runs" if kind == "trigger" else "items") or []
        return cls(kind=kind, items=list(items), workflow=data.get("workflow"), error=data.get("error"),
                   engine=data.get("engine"))
