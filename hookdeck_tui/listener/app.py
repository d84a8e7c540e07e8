"""The ASGI application on a listener port. It is deliberately one catch-all handler built on Starlette's Request
and Response rather than a Starlette router: every method and path must reach the pipeline (unmatched requests are
captured too), and the per-request cost stays close to a bare app."""

from __future__ import annotations

from starlette.requests import Request

from hookdeck_tui.listener.pipeline import Pipeline


class ListenerApp:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1003})
            return
        response = await self.pipeline(Request(scope, receive))
        await response(scope, receive, send)
