"""Answers that misbehave on purpose, so a developer can rehearse how a sender copes (`respond:` with a delay, a
failure rate, a sequence such as [500, 500, 200], a 429 with Retry-After, `hang` or `reset`).

The decision is taken before the event is committed and stored with it (`meta.simulated`: what was answered and
why); the answer itself — after any delay — goes out only after the commit, like every answer. The random source
and the sleep are injectable (`Simulation(random=..., sleep=...)`), so tests need neither luck nor long waits."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import socket
import struct
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from random import Random
from typing import Any

from hookdeck_tui.bounds import loads_bounded
from hookdeck_tui.config.models import RespondConfig
from hookdeck_tui.expressions import CompiledValue, ExpressionError
from hookdeck_tui.listener.answer import Answer, Send

Receive = Callable[[], Awaitable[dict[str, Any]]]
Sleep = Callable[[float], Awaitable[Any]]
Render = Callable[[CompiledValue], Any]  # a compiled template rendered over the request
MAX_TRACKED_DELIVERIES = 10_000  # sequence positions kept per route (the oldest are forgotten first)
# headers that name one delivery, so that a provider's retries of it share a sequence
DELIVERY_HEADERS = ("x-github-delivery", "webhook-id", "svix-id", "x-shopify-webhook-id", "mr-channel-id",
                    "x-request-id")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_REASONS = {"hang": "no answer until the client gives up", "reset": "the connection is cut without an answer"}


def delivery_id(headers: list[tuple[str, str]], body: bytes) -> str:
    """What identifies one delivery across its retries: a provider's delivery header, a Stripe event id in the
    body, else the body's hash (a retry resends the same bytes)."""
    for name, value in headers:
        if name.lower() in DELIVERY_HEADERS and value:
            return f"{name.lower()}:{value}"
    if body[:1] == b"{":
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            parsed = loads_bounded(body)
            event_id = parsed.get("id") if isinstance(parsed, dict) else None
            if isinstance(event_id, str) and event_id.startswith("evt_"):
                return f"stripe:{event_id}"
    return "sha256:" + hashlib.sha256(body).hexdigest()[:16]


class Simulation:
    """One listener's simulated answers: the random source, the sleep, and each `sequence`'s positions."""

    def __init__(self, random: Random | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self.random = random or Random()
        self.sleep = sleep
        self._positions: dict[int, tuple[RespondConfig, OrderedDict[str, int]]] = {}

    def answer(self, config: RespondConfig, headers: list[tuple[str, str]], body: bytes, render: Render,
               receive: Receive, transport: asyncio.Transport | None) -> tuple[Answer, dict[str, Any]]:
        """The answer for one request and why (for `meta.simulated`). `render(compiled)` renders a template
        against the request."""
        outcome, why = self._decide(config, headers, body)
        delay = self._delay(config)
        if delay:
            why["delay_s"] = round(delay, 3)
        if isinstance(outcome, str):
            why.update(answer=outcome, reason=_REASONS[outcome])
            if outcome == "hang":
                why["hold_s"] = config.hold
            return NoAnswer(outcome, config.hold, receive, transport, delay, self.sleep), why
        answer = DelayedAnswer.of(*_content(config, outcome, render, why), delay=delay, sleep=self.sleep)
        why["status"] = answered = answer.status  # a template that failed answers 500
        if answered in (429, 503) and not any(k == b"retry-after" for k, _ in answer.headers):
            retry_after = config.retry_after if config.retry_after is not None else 1
            answer.add_header("Retry-After", str(retry_after))
            why["retry_after"] = retry_after
        return answer, why

    def _decide(self, config: RespondConfig, headers: list[tuple[str, str]],
                body: bytes) -> tuple[int | str, dict[str, Any]]:
        if config.sequence:
            key = delivery_id(headers, body) if config.per == "delivery" else "overall"
            seen = self._advance(config, key)
            step = min(seen, len(config.sequence) - 1)
            why: dict[str, Any] = {"mode": "sequence", "step": seen + 1, "of": len(config.sequence),
                                   "per": config.per}
            if config.per == "delivery":
                why["delivery"] = key
            return config.sequence[step], why
        if config.fail is not None:
            failed = self.random.random() < config.fail_rate
            return (config.fail_status if failed else config.status), {"mode": "fail-rate", "rate": config.fail_rate,
                                                                      "failed": failed}
        return config.status, {"mode": config.status if isinstance(config.status, str) else "status"}

    def _advance(self, config: RespondConfig, key: str) -> int:
        """How many requests of this key came before (then counts this one)."""
        entry = self._positions.get(id(config))
        if entry is None or entry[0] is not config:  # the config object is kept, so its id is not reused
            entry = self._positions[id(config)] = (config, OrderedDict())
        positions = entry[1]
        seen = positions.pop(key, 0)
        positions[key] = seen + 1
        if len(positions) > MAX_TRACKED_DELIVERIES:
            positions.popitem(last=False)
        return seen

    def _delay(self, config: RespondConfig) -> float:
        span = config.delay_range
        if span is None:
            return 0.0
        low, high = span
        return low if low == high else self.random.uniform(low, high)


def _content(config: RespondConfig, status: int, render: Render,
             why: dict[str, Any]) -> tuple[int, bytes, list[tuple[str, str]], str]:
    """The configured body and headers (rendered over the request) for the configured status; for a simulated
    failure status (or an error status without a body of its own), a short JSON error that says it was
    simulated."""
    body, headers = config.body, dict(config.headers)
    compiled = config._compiled
    if compiled is not None:
        try:
            body = render(compiled[0]) if compiled[0] is not None else body
            headers = render(compiled[1]) if compiled[1] is not None else headers
        except ExpressionError as exc:
            why["template_error"] = str(exc)
            return 500, _dumps({"error": "the answer's template failed", "detail": str(exc)}), [], "application/json"
    problem = _unsendable(headers)
    if problem is not None:
        why["template_error"] = problem
        return 500, _dumps({"error": "the answer's headers cannot be sent", "detail": problem}), [], "application/json"
    if status != config.status or (status >= 300 and "body" not in config.model_fields_set):
        body = {"error": f"simulated {status}"}  # not the success body the route answers otherwise
    if isinstance(body, (dict, list, int, float, bool)) or body is None:
        return status, _dumps(body), [(k, str(v)) for k, v in headers.items()], "application/json"
    return status, str(body).encode(), [(k, str(v)) for k, v in headers.items()], "text/plain; charset=utf-8"


def _unsendable(headers: Any) -> str | None:
    """Why rendered headers cannot go out as they are (a line break would start another header), or None."""
    if not isinstance(headers, dict):
        return f"`headers:` gave {type(headers).__name__}, not a mapping"
    for name, value in headers.items():
        text = str(value)
        if not _TOKEN.match(str(name)) or any(c in text for c in "\r\n\0"):
            return f"header {name}: its value has a line break or a control character"
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            return f"header {name}: its value has a character HTTP headers cannot carry ({text!r})"
    return None


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), default=str).encode()


class DelayedAnswer(Answer):
    """An answer sent after `delay` seconds (the event is already committed)."""

    __slots__ = ("delay", "sleep")
    delay: float
    sleep: Sleep

    @classmethod
    def of(cls, status: int, body: bytes, headers: list[tuple[str, str]], media_type: str, *, delay: float,
           sleep: Sleep) -> DelayedAnswer:
        answer = cls(status, body, headers, media_type)
        answer.delay, answer.sleep = delay, sleep
        return answer

    async def send(self, send: Send) -> None:
        if self.delay:
            await self.sleep(self.delay)
        await super().send(send)


class NoAnswer(Answer):
    """`hang`: hold the request until the client gives up (at most `hold` seconds, then close the connection);
    `reset`: cut the connection (a TCP reset). Either way nothing is sent; the event is already stored."""

    __slots__ = ("delay", "hold", "mode", "receive", "sleep", "transport")

    def __init__(self, mode: str, hold: float, receive: Receive, transport: asyncio.Transport | None,
                 delay: float, sleep: Sleep) -> None:
        super().__init__(0)
        self.status = None  # stored as "no answer"
        self.mode, self.hold, self.receive, self.transport = mode, hold, receive, transport
        self.delay, self.sleep = delay, sleep

    async def send(self, send: Send) -> None:
        if self.delay:
            await self.sleep(self.delay)
        if self.transport is None:  # an in-process replay: no connection to hold or cut, so say what it would do
            told = Answer(504, _dumps({"error": f"simulated {self.mode}: {_REASONS[self.mode]}"}), (),
                          "application/json")
            told.headers += self.headers  # the event's id
            await told.send(send)
            return
        if self.mode == "hang":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._client_gone(), self.hold)
        transport = self.transport
        if transport.is_closing():
            return
        if self.mode == "reset":
            sock = transport.get_extra_info("socket")
            if sock is not None:  # linger 0: close() sends RST, not FIN
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
        for _ in range(3):  # let the protocol see the loss, so uvicorn does not answer 500 in our place
            await asyncio.sleep(0)

    async def _client_gone(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass
