"""The ASGI application on a listener port: one catch-all handler on raw ASGI messages rather than a router or
Starlette's Request/Response — every method and path must reach the pipeline (unmatched requests are captured
too), and the per-request cost stays below a bare Starlette app's (see answer.py)."""

from __future__ import annotations

from typing import Any

from hookdeck_tui.listener.answer import Send
from hookdeck_tui.listener.pipeline import Pipeline
from hookdeck_tui.listener.simulate import Receive


class ListenerApp:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def bound(self, port: int) -> None:
        """The server has its port (a free one when 0 was asked for): every event stores it as a field."""
        self.pipeline.bound(port)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1003})
            return
        answer = await self.pipeline(scope, receive)
        await answer.send(send)
