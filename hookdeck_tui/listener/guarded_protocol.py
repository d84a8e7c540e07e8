"""Bounds on what one connection can make a listener hold (the body has its own limits in the pipeline):

- the request line and headers together: at most MAX_HEADER_BYTES, else `431` and the connection closes
  (uvicorn's fast httptools parser has no limit of its own, so a client could send megabytes of headers);
- they must arrive within HEADER_TIMEOUT seconds of the connection opening (or, on a keep-alive connection, of
  the first chunk of the next request), else `408` and the connection closes: a slow-loris client cannot pin a
  listener.

And a client that pipelines requests and hangs up early is no error: uvicorn marks only the newest request
disconnected, so the one being answered wrote to a closed transport (uvloop raises; "Exception in ASGI
application"). Every unanswered request of the connection is marked instead.

It is uvicorn's httptools protocol with those two checks added to its parser callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

MAX_HEADER_BYTES = 64 * 1024
HEADER_TIMEOUT = 10.0

_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    max_header_bytes = MAX_HEADER_BYTES
    header_timeout = HEADER_TIMEOUT

    # uvicorn's own connection_made narrows asyncio's BaseTransport to Transport the same way
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_bytes = 0
        self._too_large = False
        self._in_headers = False
        self._header_timer: asyncio.TimerHandle | None = None
        self._unanswered: list[RequestResponseCycle] = []  # request cycles of this connection, newest last
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # a timer only for headers still incomplete after this chunk: the usual request, whole in one chunk, costs
        # no timer at all
        if self._in_headers and self._header_timer is None and not self.transport.is_closing():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        for cycle in self._unanswered:
            if not cycle.response_complete:
                cycle.disconnected = True  # its answer is dropped quietly, as uvicorn does for the newest one
                cycle.message_event.set()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self._refuse(408, f"the request headers did not arrive within {self.header_timeout:g} s")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # a simulated `reset`/`hang` answer closes it itself; an extension key uvicorn's closed HTTPScope has no
        # place for
        cast(MutableMapping[str, object], self.scope)["hooktui.transport"] = self.transport
        self._header_bytes = 0
        self._in_headers = True

    def on_url(self, url: bytes) -> None:
        self._header_bytes += len(url)
        if self._header_bytes > self.max_header_bytes:
            self._stop_parsing()
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > self.max_header_bytes:
            self._stop_parsing()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._cancel_header_timer()
        super().on_headers_complete()
        if self._unanswered:
            self._unanswered = [c for c in self._unanswered if not c.response_complete]
        self._unanswered.append(self.cycle)

    def _stop_parsing(self) -> None:
        self._too_large = True
        raise ValueError("request headers too large")  # stops the parser; uvicorn answers via send_400_response

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            self._refuse(431, f"the request line and headers are over {self.max_header_bytes // 1024} KiB")
        else:
            super().send_400_response(msg)

    def _refuse(self, status: int, message: str) -> None:
        self._cancel_header_timer()
        body = message.encode("ascii")
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
                             b"connection: close\r\n\r\n%s" % (status, _REASONS[status], len(body), body))
        self.transport.close()
