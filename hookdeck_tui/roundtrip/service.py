"""`RoundTrips`: begins round trips, receives their callbacks and wakes waiters. State lives in the store (a
`hooktui send` in one terminal and a console in another share it); this object adds in-process wake-ups and
timeouts."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from hookdeck_tui.bounds import loads_bounded
from hookdeck_tui.bus import EventBus
from hookdeck_tui.messages import RoundTripChanged
from hookdeck_tui.roundtrip.contract import API_KEY_ENV, check_callback
from hookdeck_tui.roundtrip.plan import CallbackAnswer, CallbackPlan
from hookdeck_tui.store import CapturedEvent, RoundTrip, Store

DEFAULT_TIMEOUT = 300.0  # hooktui's choice: how long a round trip waits for its callback


class RoundTrips:
    """Begins round trips, receives their callbacks (the listener's `/_hooktui/callback/<id>` route) and wakes
    waiters. State lives in the store; this object only adds in-process wake-ups and timeouts."""

    def __init__(self, store: Store, bus: EventBus | None = None, *, api_key: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.store = store
        self.bus = bus
        self.api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
        self.timeout = timeout
        self._waiters: dict[str, list[asyncio.Future[RoundTrip | None]]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._plans: dict[str, CallbackPlan] = {}
        self._held: set[asyncio.Future[Any]] = set()
        self._released: asyncio.Event | None = None
        self._stopping = False

    async def begin(self, channel_id: str, event: CapturedEvent, *, timeout: float | None = None,
                    plan: CallbackPlan | None = None) -> None:
        """Record the round trip of forged `event` — stored, and not sent yet, so that even an app that calls back
        before it answers finds the round trip waiting. `plan`: how to answer its callbacks (default: at once)."""
        timeout = self.timeout if timeout is None else timeout
        if event.id is None:
            raise ValueError("a round trip begins for a stored event")
        if plan:
            self._plans[channel_id] = CallbackPlan(list(plan.answers), plan.delay)
        await self.store.start_round_trip(channel_id, event.id, timeout, {"timeout": timeout},
                                          started_at=event.received_at)
        left = max(0.0, event.received_at + timeout - self.store.clock())
        self._timers[channel_id] = asyncio.get_running_loop().call_later(
            left, lambda: asyncio.ensure_future(self.expire(channel_id)))

    async def answered(self, channel_id: str, event: CapturedEvent) -> None:
        """The app's immediate answer (in `event.forward`): kept; anything but a 2xx ends a waiting round trip."""
        answer = event.forward
        status, error = (answer.status, answer.error) if answer is not None else (None, None)
        await self.store.annotate_round_trip(channel_id, {"app_status": status, "app_error": error,
                                                          "app_latency_ms": answer.latency_ms if answer else None})
        if status is None or not 200 <= status < 300:
            why = error or f"the app answered {status}"
            timer = self._timers.pop(channel_id, None)
            if timer is not None:
                timer.cancel()
            await self._finish(channel_id, "refused", {"reason": f"{why}: it will not call back"})

    async def expire(self, channel_id: str) -> None:
        trip = self.store.round_trip(channel_id)
        timeout = trip.detail.get("timeout", self.timeout) if trip is not None else self.timeout
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
        event.origin_ref = trip.event_id
        event.route = "round trip callback"
        sent = self.store.get(trip.event_id)
        check = check_callback(_sent_data(sent), event.headers, event.body, self.api_key)
        event.meta["round_trip"] = check.to_json()
        if trip.status not in ("waiting", "timeout"):
            event.meta["duplicate"] = True
            event.error = f"a second callback for channel {channel_id}: the round trip already ended " \
                          f"({trip.status})"
            return CallbackAnswer(409, {"error": event.error})
        if trip.status == "timeout" or self.store.clock() > trip.deadline:
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
        while self._held and loop.time() < deadline:  # noqa: ASYNC110 - answers end on their own timers
            await asyncio.sleep(0.05)

    def release(self) -> None:
        """Let every held answer go, and hold none from now on (hooktui is stopping)."""
        self._stopping = True
        if self._released is not None:
            self._released.set()

    async def received(self, event: CapturedEvent) -> None:
        """After the callback is stored: end the round trip with its outcome."""
        meta = event.meta or {}
        channel = meta.get("channel_id")
        check = meta.get("round_trip")
        if channel is None or check is None or event.origin_ref is None or meta.get("duplicate"):
            return
        told = meta.get("told") or {}
        if told and not (told.get("status") is not None and 200 <= told["status"] < 300):
            return  # answered as a failure on purpose: the round trip waits for the app's next attempt
        detail = {"check": check, "late": bool(meta.get("late")), "callback_at": event.received_at}
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
            self.bus.publish(RoundTripChanged(trip))

    async def wait(self, channel_id: str, timeout: float | None = None) -> RoundTrip | None:
        """The round trip once it ended (or as it stands after `timeout`). Polls the store too, so a callback
        received by another hooktui process on the same store also ends the wait."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RoundTrip | None] = loop.create_future()
        self._waiters.setdefault(channel_id, []).append(future)
        deadline = loop.time() + (self.timeout if timeout is None else timeout) + 1
        while True:
            trip = self.store.round_trip(channel_id)
            if trip is not None and trip.status != "waiting":
                return trip
            left = deadline - loop.time()
            if left <= 0:
                return trip
            try:
                return await asyncio.wait_for(asyncio.shield(future), min(left, 0.5))
            except TimeoutError:
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
