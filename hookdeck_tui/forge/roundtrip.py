"""The ModelRiver round trip: a forged `task.ai_generated` event carries a `callback_url` on the
console's own listener (`/_hooktui/callback/<channel_id>`); the app does its work and POSTs the callback with
`Authorization: Bearer <MODELRIVER_API_KEY>` — before it answers (an inline handler) or after (a background job).
Here: what a callback must look like, and the service that records round trips in the store (so a `hooktui send` in
one terminal and a console in another share them), checks each callback, answers it (or, on purpose, not), and wakes
whoever waits."""

from __future__ import annotations

import asyncio
import hmac
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from hookdeck_tui.answer_settings import parse_duration
from hookdeck_tui.bounds import TooDeep, loads_bounded
from hookdeck_tui.bus import EventBus
from hookdeck_tui.store import CapturedEvent, Store

DEFAULT_TIMEOUT = 300.0  # hooktui's choice: how long a round trip waits for its callback
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
    metadata: Any = None  # optional: some handlers send `{data, task_id}` only
    optional: dict[str, Any] = field(default_factory=dict)  # what each optional part carried (None: absent)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        auth = {"ok": "Bearer ok", "missing": "no Bearer token", "wrong": "wrong Bearer token",
                "unchecked": f"Bearer not checked (set ${API_KEY_ENV})"}[self.auth]
        parts = [self.outcome, auth]
        if self.outcome == "failed":
            parts.append(f"processing_failed: {self.message}")
        parts.extend(self.problems)
        parts.extend(describe_parts(self.to_json()))
        return "; ".join(parts)


def describe_parts(check: dict[str, Any]) -> list[str]:
    """The values a completed callback carried, for a summary: the data the app added or changed (values, not
    only names), its task_id, and each optional part (or that it was left out)."""
    parts = []
    if check.get("added"):
        parts.append("the app added " + ", ".join(f"data.{k}={_short(v)}" for k, v in check["added"].items()))
    if check.get("changed"):
        parts.append("changed " + ", ".join(f"data.{k}={_short(v)}" for k, v in check["changed"].items()))
    if check.get("removed"):
        parts.append("removed " + ", ".join(f"data.{k}" for k in check["removed"]))
    if check.get("outcome") == "completed":
        parts.append(f"task_id={_short(check.get('task_id'))}")
        for name, value in (check.get("optional") or {}).items():
            parts.append(f"{name}={_short(value)}" if value is not None else f"no {name} (optional)")
    return parts


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def check_callback(sent_data: Any, headers: list[tuple[str, str]], body: bytes, api_key: str | None) -> CallbackCheck:
    """Check the Bearer token (constant time) and the body against the contract the integration guides build:
    `{data, task_id}` with an optional `metadata` object, or `{error: "processing_failed", message}`.
    `sent_data` is the event's `ai_response.data`."""
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
    missing = [key for key in ("data", "task_id") if key not in payload]
    if missing:
        check.problems.append("missing " + ", ".join(missing) + " (the contract: {data, task_id} and an optional "
                              "metadata)")
    data = payload.get("data")
    if "data" in payload and not isinstance(data, dict):
        check.problems.append("`data` must be an object")
    if "metadata" in payload and not isinstance(payload["metadata"], dict):
        check.problems.append("`metadata` must be an object")
    check.task_id, check.metadata = payload.get("task_id"), payload.get("metadata")
    check.optional = {"metadata": payload.get("metadata")}
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
    hold: float | None = 0.0  # seconds to hold the answer back; None: until the round trip ends


class PlanError(ValueError):
    """A `--callback-answer` / `--callback-delay` that cannot be read; the message says what is expected."""


@dataclass
class CallbackPlan:
    """How the callback route answers, to exercise an app's retries: `answers` are used one per callback (a status,
    or None: never answer — hold the request until the round trip ends), then the real answer; `delay` holds back
    every answer that long. An answer told to fail does not end the round trip: the app's next attempt may."""

    answers: list[int | None] = field(default_factory=list)
    delay: float = 0.0

    @classmethod
    def parse(cls, answers: str | None = None, delay: str | float | None = None) -> CallbackPlan:
        plan = cls()
        for step in (answers or "").replace(" ", "").split(","):
            if not step:
                continue
            what, _, times = step.partition("x")
            try:
                count = int(times) if times else 1
                status = None if what in ("none", "hang") else int(what)
            except ValueError:
                raise PlanError(f"--callback-answer {step!r}: expected STATUS[xN] or none[xN], e.g. 500x2,none")
            if count < 1 or (status is not None and not 100 <= status <= 599):
                raise PlanError(f"--callback-answer {step!r}: a status is 100-599 and N at least 1")
            plan.answers.extend([status] * count)
        plan.delay = parse_seconds(delay) if delay not in (None, "") else 0.0
        return plan

    def __bool__(self) -> bool:
        return bool(self.answers) or self.delay > 0


def parse_seconds(text: str | float) -> float:
    """`12`, `12s`, `500ms`, `1.5` → seconds (the listener's answer delays read the same way)."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise PlanError(f"--callback-delay: {exc}; expected seconds, e.g. 12s or 500ms") from None


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
        self._plans: dict[str, CallbackPlan] = {}
        self._held: set[asyncio.Future] = set()
        self._released: asyncio.Event | None = None
        self._stopping = False

    async def begin(self, channel_id: str, event: CapturedEvent, *, timeout: float | None = None,
                    plan: CallbackPlan | None = None) -> None:
        """Record the round trip of forged `event` — stored, and not sent yet, so that even an app that calls back
        before it answers finds the round trip waiting. `plan`: how to answer its callbacks (default: at once)."""
        timeout = self.timeout if timeout is None else timeout
        if plan:
            self._plans[channel_id] = CallbackPlan(list(plan.answers), plan.delay)
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
        plan = self._plans.get(channel_id)
        if plan is None:
            return CallbackAnswer(200, {"received": True})
        if plan.answers:
            status = plan.answers.pop(0)
            event.meta["told"] = {"status": status, "delay": plan.delay}
            if status is None:
                event.error = "not answered, as told (--callback-answer none): the app must give up and retry"
                return CallbackAnswer(504, {"error": "not answered"}, hold=None)
            event.error = f"answered {status}, as told (--callback-answer): the app should retry"
            return CallbackAnswer(status, {"error": f"told to answer {status}"}, hold=plan.delay)
        if plan.delay:
            event.meta["told"] = {"status": 200, "delay": plan.delay}
        return CallbackAnswer(200, {"received": True}, hold=plan.delay)

    async def hold(self, channel_id: str, answer: CallbackAnswer) -> None:
        """Hold a callback's answer back as the plan says (until the round trip ends for a never-answered one);
        hooktui stopping lets every held answer go."""
        if answer.hold == 0 or self._stopping:
            return
        if self._released is None:
            self._released = asyncio.Event()
        released = asyncio.ensure_future(self._released.wait())
        other = asyncio.ensure_future(asyncio.sleep(answer.hold) if answer.hold is not None
                                      else self.wait(channel_id))
        self._held.add(other)
        try:
            await asyncio.wait({released, other}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._held.discard(other)
            for future in (released, other):
                future.cancel()

    async def settle(self, timeout: float) -> None:
        """Wait (at most `timeout`) until every held answer went out, so that the app saw it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._held and loop.time() < deadline:
            await asyncio.sleep(0.05)

    def release(self) -> None:
        """Let every held answer go, and hold none from now on (hooktui is stopping)."""
        self._stopping = True
        if self._released is not None:
            self._released.set()

    async def received(self, event: CapturedEvent) -> None:
        """After the callback is stored: end the round trip with its outcome."""
        channel = (event.meta or {}).get("channel_id")
        check = (event.meta or {}).get("round_trip")
        if channel is None or check is None or event.origin_ref is None or event.meta.get("duplicate"):
            return
        told = event.meta.get("told") or {}
        if told and not (told.get("status") is not None and 200 <= told["status"] < 300):
            return  # answered as a failure on purpose: the round trip waits for the app's next attempt
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
        self._plans.pop(channel_id, None)  # later callbacks are second ones, answered 409 whatever the plan
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
        self.release()
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


def callback_attempts(store: Store, event_id: int) -> list[dict[str, Any]]:
    """Every callback the app made for forged event `event_id`, oldest first: what it sent, how hooktui answered
    (and whether on purpose) — retries, a second callback and a processing_failed follow-up included."""
    attempts = []
    for callback in reversed(store.derived_from(event_id, limit=50)):
        if callback.origin != "callback":
            continue
        meta = callback.meta or {}
        attempts.append({"event": callback.id, "at": callback.received_at, "answer": callback.response_status,
                         "check": meta.get("round_trip") or {}, "told": meta.get("told"),
                         "second": bool(meta.get("duplicate")), "late": bool(meta.get("late")),
                         "error": callback.error})
    return attempts


def describe_attempt(number: int, attempt: dict[str, Any]) -> str:
    check = attempt["check"]
    if check.get("outcome") == "failed":
        sent = f"processing_failed: {check.get('message')}"
    elif check.get("outcome") == "completed":
        sent = "{data, task_id" + (", metadata" if (check.get("optional") or {}).get("metadata") is not None
                                   else "") + "}"
    else:
        sent = "an invalid callback" + (f" ({'; '.join(check.get('problems') or [])})" if check.get("problems")
                                        else "")
    told = attempt.get("told") or {}
    if told.get("status", 200) is None:
        answer = "not answered (as told)"
    else:
        answer = f"answered {attempt['answer']}" + (" (as told)" if told.get("status", 200) != 200 else "")
    if told.get("delay"):
        answer += f" after {told['delay']:g} s"
    second = " — a second callback: the round trip had already ended" if attempt["second"] else ""
    return f"  callback {number}: {sent} → {answer}{second}  (event #{attempt['event']})"
