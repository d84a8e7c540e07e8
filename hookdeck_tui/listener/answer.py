"""What a listener sends back, as two raw ASGI messages.

Why not Starlette's Response: a listener answers thousands of requests a second with a few fixed bodies, and a
Response object (a MutableHeaders, a media-type lookup, a coroutine call) cost ~6 us of the ~90 us a request takes
in-process. The rules it follows are Starlette's: names lower-cased, a content-length except for 1xx/204/304.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

Send = Callable[[dict[str, Any]], Awaitable[None]]
_NO_BODY = frozenset((204, 304))


class Answer:
    __slots__ = ("body", "headers", "status")
    status: int | None  # None: nothing is sent, and the event records "no answer" (a simulated hang or reset)

    def __init__(self, status: int, body: bytes = b"", headers: Iterable[tuple[str, str]] = (),
                 media_type: str | None = None) -> None:
        self.status = status
        self.body = body
        self.headers: list[tuple[bytes, bytes]] = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                                   for k, v in headers]
        if media_type is not None and not any(k == b"content-type" for k, _ in self.headers):
            self.headers.append((b"content-type", media_type.encode("latin-1")))

    @classmethod
    def raw(cls, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> Answer:
        """From headers already lower-cased and encoded (a route's fixed answer)."""
        answer = cls.__new__(cls)
        answer.status, answer.body, answer.headers = status, body, headers
        return answer

    def add_header(self, name: str, value: str) -> None:
        self.headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))

    async def send(self, send: Send) -> None:
        if self.status is None:
            return
        headers = self.headers
        body = self.body
        if self.status < 200 or self.status in _NO_BODY:
            body = b""
        elif not any(k == b"content-length" for k, _ in headers):
            headers = [(b"content-length", str(len(body)).encode()), *headers]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
