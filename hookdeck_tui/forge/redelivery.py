"""Delivering like a provider does when the receiver fails: the same event again on a schedule (`--retries`), or
again at once (`--duplicate`, a provider's at-least-once delivery), so an app's retry and idempotency handling can
be rehearsed on this machine. Each attempt is stored as its own forged event, numbered in `meta.attempt`."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hookdeck_tui.bus import EventBus
from hookdeck_tui.delivery.forward import ForwardResult
from hookdeck_tui.delivery.outbound import DEFAULT_TIMEOUT
from hookdeck_tui.delivery.request import Outgoing
from hookdeck_tui.forge.build import Forged
from hookdeck_tui.forge.schedules import RetrySchedule
from hookdeck_tui.forge.sending import send_forged
from hookdeck_tui.signatures import SchemeOptions
from hookdeck_tui.signatures.resign import replace_signature
from hookdeck_tui.store import CapturedEvent, EventMeta, Store

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class Attempt:
    number: int
    waited: float  # seconds slept before it (already scaled)
    event: CapturedEvent
    result: ForwardResult
    delay: float = 0.0  # the provider's delay before it (unscaled)

    @property
    def delivered(self) -> bool:
        return self.result.status is not None and 200 <= self.result.status < 300


def again(forged: Forged, schedule: RetrySchedule | None, number: int, reason: str | None,
          options: SchemeOptions | None = None, now: float | None = None) -> Forged:
    """Attempt `number` of `forged`: the same body and delivery ids, a signature made now (with the same message
    id), and the provider's retry headers when it sends them."""
    request = forged.request
    headers = list(request.headers)
    if forged.scheme is not None and forged.secret:
        headers = replace_signature(headers, request.body, forged.scheme, forged.secret,
                                    int(time.time() if now is None else now), forged.message_id, request.url, options)
    if schedule is not None and schedule.attempt_header:
        headers = _set(headers, schedule.attempt_header, str(number - 1))
        if schedule.reason_header and reason:
            headers = _set(headers, schedule.reason_header, reason)
    return dataclasses.replace(forged, request=Outgoing(request.method, request.url, headers, request.body))


def retry_reason(result: ForwardResult) -> str:
    """Why a provider retries, in Slack's words (the one provider that says); the error texts are
    delivery.outbound's."""
    error = result.error or ""
    if result.status is not None:
        return "http_error"
    if error.startswith("no answer"):
        return "http_timeout"
    return "connection_failed" if error.startswith("cannot connect") else "unknown_error"


async def deliver_with_retries(store: Store, forged: Forged, schedule: RetrySchedule, *, time_scale: float = 1.0,
                               options: SchemeOptions | None = None, timeout: float = DEFAULT_TIMEOUT,
                               sleep: Sleep = asyncio.sleep,
                               on_attempt: Callable[[Attempt], None] | None = None,
                               bus: EventBus | None = None) -> list[Attempt]:
    """Send `forged`, then again after each of the schedule's (scaled) delays while the answer is not a 2xx."""
    delays = [0.0, *schedule.delays]
    attempts: list[Attempt] = []
    for number, delay in enumerate(delays, start=1):
        current = forged
        if number > 1:
            await sleep(delay * time_scale)
            current = again(forged, schedule, number, retry_reason(attempts[-1].result), options)
        attempt = await _send(store, current, options, timeout, number, len(delays), schedule.provider,
                              delay * time_scale, bus)
        attempt.delay = delay
        attempts.append(attempt)
        if on_attempt is not None:
            on_attempt(attempt)
        if attempt.delivered or schedule.stops(attempt.result.headers):
            break
    return attempts


async def deliver_duplicates(store: Store, forged: Forged, copies: int, *, options: SchemeOptions | None = None,
                             timeout: float = DEFAULT_TIMEOUT,
                             on_attempt: Callable[[Attempt], None] | None = None,
                             bus: EventBus | None = None) -> list[Attempt]:
    """`forged` and then `copies` more of the very same request, whatever the answers (a provider's duplicate)."""
    attempts: list[Attempt] = []
    for number in range(1, copies + 2):
        attempt = await _send(store, forged, options, timeout, number, copies + 1, "duplicate", 0.0, bus)
        attempts.append(attempt)
        if on_attempt is not None:
            on_attempt(attempt)
    return attempts


async def _send(store: Store, forged: Forged, options: SchemeOptions | None, timeout: float, number: int,
                total: int, kind: str, waited: float, bus: EventBus | None = None) -> Attempt:
    meta: EventMeta = {"attempt": {"number": number, "of": total, "as": kind}}
    event, result = await send_forged(store, forged, None, options=options, timeout=timeout, meta=meta, bus=bus)
    return Attempt(number, waited, event, result)


def _set(headers: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    lowered = name.lower()
    return [(k, v) for k, v in headers if k.lower() != lowered] + [(name, value)]
