"""Sending a request the console made — a replay or a forged event — and keeping it as an event of its own, with
the answer it got (stored like a forward result, so the Forward tab and `show` display it)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hookdeck_tui.bus import EventBus
from hookdeck_tui.delivery.forward import HOP_BY_HOP, ForwardResult, without_default_headers
from hookdeck_tui.delivery.request import Outgoing
from hookdeck_tui.messages import EventStored, EventUpdated
from hookdeck_tui.signatures import SchemeOptions, SignatureVerdict, SignedRequest, verify_request
from hookdeck_tui.store import CapturedEvent, EventMeta, Store

if TYPE_CHECKING:  # httpx takes ~50 ms to import and a console that forwards nothing never needs it: each use
    import httpx  # imports it (runtime.settle_after_start loads it off the loop once the console is up)

DEFAULT_TIMEOUT = 30.0



def new_client(app: Any = None) -> httpx.AsyncClient:
    """A client for sending to the app (no proxy from the environment between us and a local app), or straight
    into an ASGI `app` in this process."""
    import httpx

    try:  # loaded on a process's first request otherwise, which would add ~25 ms to the first latency shown
        import anyio._backends._asyncio  # noqa: F401
        import httpcore._backends.anyio  # noqa: F401
    except ImportError:  # pragma: no cover - a future httpx/anyio layout; only the first figure would be off
        pass
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 0)) if app is not None else None
    return without_default_headers(httpx.AsyncClient(trust_env=False, follow_redirects=False, transport=transport))


async def deliver(client: httpx.AsyncClient, request: Outgoing, *, timeout: float = DEFAULT_TIMEOUT) -> ForwardResult:
    """Send `request` once; connection problems become a result with `error`, never an exception."""
    import httpx

    headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
    started = time.perf_counter()
    try:
        response = await client.request(request.method, request.url, headers=headers, content=request.body,
                                        timeout=timeout)
    except httpx.HTTPError as exc:
        latency = round((time.perf_counter() - started) * 1000, 2)
        return ForwardResult(request.url, None, [], b"", latency, 1, _describe(exc, request.url, timeout))
    latency = round((time.perf_counter() - started) * 1000, 2)
    return ForwardResult(request.url, response.status_code, list(response.headers.multi_items()), response.content,
                         latency, 1, None)


def _describe(exc: httpx.HTTPError, url: str, timeout: float) -> str:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return f"no answer from {url} within {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {url}: is the app running?"
    return f"{type(exc).__name__}: {exc}"


def sent_event(request: Outgoing, result: ForwardResult | None, *, origin: str, clock: float,
               origin_ref: int | None = None, verdict: SignatureVerdict | None = None,
               meta: EventMeta | None = None) -> CapturedEvent:
    """The event that records what the console sent and, once there is one, what came back."""
    parts = urlsplit(request.url)
    return CapturedEvent(
        method=request.method, path=parts.path or "/", query=parts.query, headers=list(request.headers),
        body=request.body, received_at=clock, listener=f"→ {parts.scheme}://{parts.netloc}", sent=True,
        response_status=result.status if result else None, signature=verdict,
        forward=result.outcome() if result else None, origin=origin, origin_ref=origin_ref,
        error=result.error if result else None, meta={"sent_to": request.url, **(meta or {})})


def expected_verdict(request: Outgoing, scheme: str | None, secret: str | None,
                     options: SchemeOptions | None = None) -> SignatureVerdict | None:
    """What a receiver holding `secret` will conclude about what we send (the secret itself is never stored)."""
    if scheme is None or secret is None:
        return None
    return verify_request(SignedRequest(request.body, request.headers, request.url), scheme=scheme, secrets=[secret],
                          options=options)


async def send_and_record(store: Store, client: httpx.AsyncClient, request: Outgoing, *, origin: str,
                          origin_ref: int | None = None, verdict: SignatureVerdict | None = None,
                          meta: EventMeta | None = None, timeout: float = DEFAULT_TIMEOUT,
                          before_sending: Callable[[CapturedEvent], Awaitable[None]] | None = None,
                          bus: EventBus | None = None) -> tuple[CapturedEvent, ForwardResult]:
    """Store the request first (so a callback that beats the answer finds it), send it, then store the answer.
    `before_sending` runs once the event has its id; `bus` hears of the event when stored, then answered, as of
    one the listener forwards."""
    clock = store.clock()
    event = sent_event(request, None, origin=origin, clock=clock, origin_ref=origin_ref, verdict=verdict, meta=meta)
    event_id = await store.append(event)
    if bus is not None:
        bus.publish(EventStored(event, final=False))
    if before_sending is not None:
        await before_sending(event)
    result = await deliver(client, request, timeout=timeout)
    event.forward, event.response_status, event.error = result.outcome(), result.status, result.error
    await store.update_event(event_id, forward=event.forward, response_status=result.status, error=result.error)
    await store.add_delivery(event.id, "replay" if origin == "replay" else "send", request.url, started_at=clock,
                             status=result.status, latency_ms=result.latency_ms, response_headers=result.headers,
                             response_body=result.body, error=result.error)
    if bus is not None:
        bus.publish(EventUpdated(event))
    return event, result
