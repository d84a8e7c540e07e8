"""The console's own inspection endpoint: a Server-Sent-Events stream of everything on the bus, plus a status
document. It listens on 127.0.0.1 on a port of its own — never on a listener port, so no tunnel can expose it — and
answers only loopback peers that present its random token (`Authorization: Bearer <token>` or `?token=`)."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hookdeck_tui.bus import EventBus
from hookdeck_tui.messages import Dropped, EngineMessage

HEARTBEAT_SECONDS = 15.0


def sse_frame(message: EngineMessage) -> bytes:
    """What the stream queues for a bus message: its encoded frame, made when it is published — never the event
    with its body, which a client that stopped reading would otherwise keep alive (2,000 events of 1 MB: 2 GB).
    The payload is the message's own JSON: events in their summary form (the store has the rest, by id)."""
    return _frame(message.kind, message.to_json())


def _frame(kind: str, data: dict[str, Any]) -> bytes:
    payload = json.dumps(data, separators=(",", ":"), default=str)
    return f"event: {kind}\ndata: {payload}\n\n".encode()


class Inspection:
    def __init__(self, bus: EventBus, status: Callable[[], dict[str, Any]]) -> None:
        self.bus = bus
        self.status = status
        self.token = secrets.token_urlsafe(24)
        self.app = Starlette(routes=[Route("/events", self._events), Route("/status", self._status)])
        self._streams: set[asyncio.Event] = set()

    def _refusal(self, request: Request) -> Response | None:
        client = request.client
        try:
            loopback = client is not None and ipaddress.ip_address(client.host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return JSONResponse({"error": "the inspection endpoint answers only this machine"}, 403)
        offered = request.query_params.get("token") or request.headers.get("authorization", "").removeprefix("Bearer ")
        if not offered or not hmac.compare_digest(offered.encode(), self.token.encode()):
            return JSONResponse({"error": "missing or wrong token"}, 401)
        return None

    async def _status(self, request: Request) -> Response:
        return self._refusal(request) or JSONResponse(self.status())

    async def _events(self, request: Request) -> Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        subscription = self.bus.subscribe(shape=sse_frame, close_when_full=True)  # see sse_frame
        closing = asyncio.Event()
        self._streams.add(closing)

        async def stream() -> AsyncIterator[bytes]:
            try:
                yield b": hooktui event stream\n\n"
                while not closing.is_set():
                    getter = asyncio.ensure_future(subscription.get())
                    stopper = asyncio.ensure_future(closing.wait())
                    done, _ = await asyncio.wait({getter, stopper}, timeout=HEARTBEAT_SECONDS,
                                                 return_when=asyncio.FIRST_COMPLETED)
                    stopper.cancel()
                    if getter not in done:
                        getter.cancel()
                        yield b": heartbeat\n\n"
                        continue
                    queued = getter.result()
                    frame = queued.message
                    if isinstance(frame, Dropped):  # it stopped reading: what it missed is in the store
                        yield f": {frame.reason}\n\n".encode() + _frame(frame.kind, frame.to_json())
                        return
                    yield frame
            finally:
                subscription.close()
                self._streams.discard(closing)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    def close_streams(self) -> None:
        """Let open SSE responses end, so the server can stop gracefully."""
        for closing in list(self._streams):
            closing.set()
