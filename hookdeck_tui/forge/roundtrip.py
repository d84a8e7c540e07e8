"""The ModelRiver round trip (SPEC §2): a forged `task.ai_generated` event carries a `callback_url` on the
console's own listener (`/_hooktui/callback/<channel_id>`); the app answers at once, does its work, then POSTs the
callback with `Authorization: Bearer <MODELRIVER_API_KEY>`. Here: what a callback must look like, and the service
that records round trips in the store (so a `hooktui send` in one terminal and a console in another share them),
checks each callback and wakes whoever waits."""

from __future__ import annotations

import asyncio
import hmac
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from hookdeck_tui.bounds import TooDeep, loads_bounded
from hookdeck_tui.bus import EventBus
from hookdeck_tui.store import CapturedEvent, Store

DEFAULT_TIMEOUT = 300.0  # the provider marks a callback missing after 5 minutes
API_KEY_ENV = "MODELRIVER_API_KEY"
OUTCOMES = ("waiting", "completed", "failed", "invalid", "refused", "timeout")


@dataclass
class CallbackCheck:
    """What the console concluded about one callback."""

    outcome: str  # completed | failed (the app reported processing_failed) | invalid
    auth: str  # ok | missing | wrong | unchecked (no API key configured)
    problems: list[str] = field(default_factory=list)
    added: dict[str, Any] = field(default_factory=dict)  # data fields the app added (e.g. id, saved_at)
    changed: dict[str, Any] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    message: str | None = None  # processing_failed's message
    task_id: Any = None
    metadata: Any = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        auth = {"ok": "Bearer ok", "missing": "no Bearer token", "wrong": "wrong Bearer token",
                "unchecked": f"Bearer not checked (set ${API_KEY_ENV})"}[self.auth]
        parts = [self.outcome, auth]
        if self.outcome == "failed":
            parts.append(f"processing_failed: {self.message}")
        parts.extend(self.problems)
        if self.added:
            parts.append("the app added " + ", ".join(f"data.{k}" for k in self.added))
        return "; ".join(parts)


def check_callback(sent_data: Any, headers: list[tuple[str, str]], body: bytes, api_key: str | None) -> CallbackCheck:
    """Check the Bearer token (constant time) and the body against the contract: `{data, task_id, metadata}`
    or `{error: "processing_failed", message}`. `sent_data` is the event's `ai_response.data`."""
    auth = _auth(headers, api_key)
    check = CallbackCheck("invalid", auth)
    if auth in ("missing", "wrong"):
        check.problems.append("the Authorization header must be `Bearer <MODELRIVER_API_KEY>`" if auth == "missing"
                              else "the Bearer token is not the configured MODELRIVER_API_KEY")
    try:
        payload = loads_bounded(body)
    except TooDeep as exc:
        check.problems.append(str(exc))
        return check
    except ValueError:
        check.problems.append("the body is not JSON")
        return check
    if not isinstance(payload, dict):
        check.problems.append("the body is not a JSON object")
        return check
    if "error" in payload:
        if payload.get("error") != "processing_failed":
            check.problems.append(f"error is {payload.get('error')!r}; the contract says \"processing_failed\"")
        if not isinstance(payload.get("message"), str):
            check.problems.append("a processing_failed callback needs a `message` (text)")
        check.message = payload.get("message") if isinstance(payload.get("message"), str) else None
        if not check.problems:
            check.outcome = "failed"
        return check
    missing = [key for key in ("data", "task_id", "metadata") if key not in payload]
    if missing:
        check.problems.append("missing " + ", ".join(missing) + " (the contract: {data, task_id, metadata})")
    data = payload.get("data")
    if "data" in payload and not isinstance(data, dict):
        check.problems.append("`data` must be an object")
    if "metadata" in payload and not isinstance(payload["metadata"], dict):
        check.problems.append("`metadata` must be an object")
    check.task_id, check.metadata = payload.get("task_id"), payload.get("metadata")
    if isinstance(data, dict):
        sent = sent_data if isinstance(sent_data, dict) else {}
        check.added = {k: v for k, v in data.items() if k not in sent}
        check.changed = {k: v for k, v in data.items() if k in sent and sent[k] != v}
        check.removed = [k for k in sent if k not in data]
    if not check.problems:
        check.outcome = "completed"
    return check


def _auth(headers: list[tuple[str, str]], api_key: str | None) -> str:
    value = next((v for k, v in headers if k.lower() == "authorization"), None)
    if not api_key:
        return "unchecked"
    if value is None or not value.startswith("Bearer "):
        return "missing"
    given = value[len("Bearer "):].strip().encode()
    return "ok" if hmac.compare_digest(given, api_key.encode()) else "wrong"


@dataclass
class CallbackAnswer:
    status: int
    body: dict[str, Any]


class RoundTrips:
    """Begins round trips, receives their callbacks (the listener's `/_hooktui/callback/<id>` route) and wakes
    waiters. State lives in the store; this object only adds in-process wake-ups and timeouts."""

    def __init__(self, store: Store, bus: EventBus | None = None, *, api_key: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.store = store
        self.bus = bus
        self.api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
        self.timeout = timeout
        self._waiters: dict[str, list[asyncio.Future]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    async def begin(self, channel_id: str, event: CapturedEvent, *, timeout: float | None = None) -> None:
        """Record the round trip of forged `event` — stored, and not sent yet, so that even an app that calls back
        before it answers finds the round trip waiting."""
        timeout = self.timeout if timeout is None else timeout
        await self.store.start_round_trip(channel_id, event.id, timeout, {"timeout": timeout},
                                          started_at=event.received_at)
        left = max(0.0, event.received_at + timeout - self.store.clock())
        self._timers[channel_id] = asyncio.get_running_loop().call_later(
            left, lambda: asyncio.ensure_future(self.expire(channel_id)))

    async def answered(self, channel_id: str, event: CapturedEvent) -> None:
        """The app's immediate answer (in `event.forward`): kept; anything but a 2xx ends a waiting round trip."""
        answer = event.forward or {}
        status = answer.get("status")
        await self.store.annotate_round_trip(channel_id, {"app_status": status, "app_error": answer.get("error"),
                                                          "app_latency_ms": answer.get("latency_ms")})
        if status is None or not 200 <= status < 300:
            why = answer.get("error") or f"the app answered {status}"
            timer = self._timers.pop(channel_id, None)
            if timer is not None:
                timer.cancel()
            await self._finish(channel_id, "refused", {"reason": f"{why}: it will not call back"})

    async def expire(self, channel_id: str) -> None:
        timeout = (self.store.round_trip(channel_id) or {}).get("detail", {}).get("timeout", self.timeout)
        await self._finish(channel_id, "timeout", {"reason": f"no callback within {timeout:g} s"})

    def inspect(self, event: CapturedEvent, channel_id: str) -> CallbackAnswer:
        """Check a callback before it is stored: fills `event.origin_ref`, `meta` and `error`; the answer to send."""
        event.origin = "callback"
        trip = self.store.round_trip(channel_id)
        event.meta = {"channel_id": channel_id}
        if event.method != "POST":
            event.error = f"a callback is a POST, not {event.method}"
            return CallbackAnswer(405, {"error": event.error})
        if trip is None:
            event.error = f"no round trip is waiting for channel {channel_id}"
            return CallbackAnswer(404, {"error": event.error})
        event.origin_ref = trip["event_id"]
        event.route = "round trip callback"
        sent = self.store.get(trip["event_id"])
        check = check_callback(_sent_data(sent), event.headers, event.body, self.api_key)
        event.meta["round_trip"] = check.to_json()
        if trip["status"] not in ("waiting", "timeout"):
            event.meta["duplicate"] = True
            event.error = f"a second callback for channel {channel_id}: the round trip already ended " \
                          f"({trip['status']})"
            return CallbackAnswer(409, {"error": event.error})
        if trip["status"] == "timeout" or self.store.clock() > trip["deadline"]:
            event.meta["late"] = True
        if check.auth in ("missing", "wrong"):
            event.error = "callback refused: " + check.problems[0]
            return CallbackAnswer(401, {"error": "unauthorized", "detail": check.problems[0]})
        if check.outcome == "invalid":
            event.error = "callback does not follow the contract: " + "; ".join(check.problems)
            return CallbackAnswer(400, {"error": "invalid callback", "problems": check.problems})
        return CallbackAnswer(200, {"received": True})

    async def received(self, event: CapturedEvent) -> None:
        """After the callback is stored: end the round trip with its outcome."""
        channel = (event.meta or {}).get("channel_id")
        check = (event.meta or {}).get("round_trip")
        if channel is None or check is None or event.origin_ref is None or event.meta.get("duplicate"):
            return
        detail = {"check": check, "late": bool(event.meta.get("late")), "callback_at": event.received_at}
        timer = self._timers.pop(channel, None)
        if timer is not None:
            timer.cancel()
        await self._finish(channel, check["outcome"], detail, callback_event=event.id,
                           from_statuses=("waiting", "timeout"))  # a late callback still tells what the app did

    async def _finish(self, channel_id: str, status: str, detail: dict[str, Any], *,
                      callback_event: int | None = None, from_statuses: tuple[str, ...] = ("waiting",)) -> None:
        changed = await self.store.finish_round_trip(channel_id, status, callback_event=callback_event,
                                                     detail=detail, from_statuses=from_statuses)
        if not changed:
            return
        trip = self.store.round_trip(channel_id)
        for future in self._waiters.pop(channel_id, []):
            if not future.done():
                future.set_result(trip)
        if self.bus is not None and trip is not None:
            self.bus.publish("round-trip", {"trip": trip})

    async def wait(self, channel_id: str, timeout: float | None = None) -> dict[str, Any] | None:
        """The round trip once it ended (or as it stands after `timeout`). Polls the store too, so a callback
        received by another hooktui process on the same store also ends the wait."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self._waiters.setdefault(channel_id, []).append(future)
        deadline = loop.time() + (self.timeout if timeout is None else timeout) + 1
        while True:
            trip = self.store.round_trip(channel_id)
            if trip is not None and trip["status"] != "waiting":
                return trip
            left = deadline - loop.time()
            if left <= 0:
                return trip
            try:
                return await asyncio.wait_for(asyncio.shield(future), min(left, 0.5))
            except asyncio.TimeoutError:
                continue

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()


def _sent_data(event: CapturedEvent | None) -> Any:
    if event is None:
        return None
    try:
        body = loads_bounded(event.body)
    except ValueError:
        return None
    return (body.get("ai_response") or {}).get("data") if isinstance(body, dict) else None
