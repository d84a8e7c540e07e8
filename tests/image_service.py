"""A small real image service for the workflow tests, shaped like model-compose's api.image-ai.com example:
`POST /v1/generate` answers 202 at once and POSTs the result to the request's `callback_url` a moment later;
`POST /optimize` answers synchronously. Behaviours are switchable per test."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse

from hookdeck_tui.listener.server import ListenerServer


@dataclass
class ImageService:
    callback_status: str = "completed"
    callback_first: bool = False  # POST the callback before answering the request
    never_call_back: bool = False
    progress_first: bool = False  # send a "running" callback before the final one
    generate_requests: list[dict] = field(default_factory=list)
    server: ListenerServer | None = None
    _tasks: set[asyncio.Task] = field(default_factory=set)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        if scope["path"] == "/v1/generate":
            payload = await request.json()
            self.generate_requests.append({"body": payload, "authorization": request.headers.get("authorization")})
            if self.callback_first:
                await self._call_back(payload)
            elif not self.never_call_back:
                task = asyncio.create_task(self._call_back(payload, delay=0.05))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            response = JSONResponse({"task_id": payload["task_id"], "status": "queued"}, 202)
        elif scope["path"] == "/optimize":
            payload = await request.json()
            response = JSONResponse({"url": payload["url"] + "?optimized", "original_size": 5000,
                                     "compressed_size": 1200})
        else:
            response = JSONResponse({"error": "no such endpoint"}, 404)
        await response(scope, receive, send)

    async def _call_back(self, payload: dict, delay: float = 0) -> None:
        await asyncio.sleep(delay)
        async with httpx.AsyncClient() as client:
            if self.progress_first:
                await client.post(payload["callback_url"], json={"task_id": payload["task_id"], "status": "running"})
            await client.post(payload["callback_url"], json={
                "task_id": payload["task_id"], "status": self.callback_status,
                "output": {"url": f"https://img.local/{payload['task_id']}.png", "width": 1024, "height": 768}})

    async def start(self) -> str:
        self.server = ListenerServer(self, "127.0.0.1", 0, name="image service")
        await self.server.start()
        return self.server.url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.server is not None:
            await self.server.stop()
