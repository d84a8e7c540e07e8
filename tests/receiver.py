"""A small real app for tests: it records every request it gets and answers as told, served by a real Uvicorn on
an ephemeral loopback port."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from hookdeck_tui.listener.server import ListenerServer


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Receiver:
    """`answers` is consumed one per request (then the last one repeats): (status, body)."""

    answers: list[tuple[int, bytes]] = field(default_factory=lambda: [(200, b'{"ok": true}')])
    hold: asyncio.Event | None = None  # when set, each request waits for it before answering
    answer_headers: dict[str, str] = field(default_factory=dict)  # added to every answer
    requests: list[Received] = field(default_factory=list)
    server: ListenerServer | None = None
    port: int = 0  # 0: any free port

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        self.requests.append(Received(scope["method"], scope["path"], scope["query_string"].decode(),
                                      [(k.decode(), v.decode()) for k, v in scope["headers"]], body))
        if self.hold is not None:
            await self.hold.wait()
        status, content = self.answers[0] if len(self.answers) == 1 else self.answers.pop(0)
        answer = Response(content, status, {"X-Receiver": "yes", **self.answer_headers}, "application/json")
        await answer(scope, receive, send)

    async def start(self) -> str:
        self.server = ListenerServer(self, "127.0.0.1", self.port, name="receiver")
        await self.server.start()
        return self.server.url

    async def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        if self.server is not None:
            await self.server.stop()
