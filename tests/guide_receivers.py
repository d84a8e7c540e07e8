"""ModelRiver receivers written the way the four integration guides write their handlers, in Python, for tests.
Each keeps its guide's behaviour, not only its shape:

- phoenix: a plug verifies `mr-signature` (constant-time) and the controller answers `200 {"received": true}`
  at once; an Oban job (max 3 attempts, 10 s receive timeout) saves the row and calls back `{data, task_id,
  metadata}` — a non-2xx answer or an error fails the job, and the retry saves the row again before calling back.
  `parsers_first=True` is the same app with a body parser ahead of the plug: it signs an empty body.
- convex: `expected !== signature`; saves, calls back inline BEFORE answering; a callback answered not-ok throws,
  and the catch sends `{error: "processing_failed", message}`, then answers 200.
- neon / planetscale: `timingSafeEqual` (a signature of another length throws: 500); save, call back inline
  (the answer is not looked at), answer 200; an error sends processing_failed. `edge=True` is the short Vercel
  Edge / Next.js handler: `{data, task_id}` without metadata, no catch.
- reencoding: the consumed-body bug — the body is parsed first and the verifier signs a re-encoding of it
  (Flask's `json.dumps(request.get_json())`, or `JSON.stringify(req.body)` after `express.json()`).

Every receiver keeps its rows in `db.rows` and its callback attempts in `db.callbacks`, answers on a real Uvicorn,
and maps a public callback host to a local port through `internet` (a test's stand-in for DNS and the internet).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse

from hookdeck_tui.listener.server import ListenerServer


@dataclass
class Database:
    rows: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # {"body", "status" | "error"}
    broken: bool = False  # the insert fails (the processing_failed path)
    internet: dict[str, str] = field(default_factory=dict)  # public host -> http://127.0.0.1:PORT
    jobs: list[asyncio.Task] = field(default_factory=list)

    def insert(self, **row: Any) -> dict[str, Any]:
        if self.broken:
            raise RuntimeError("connection refused: the database is down")
        row = {"id": len(self.rows) + 1, "created_at": datetime.now(UTC).isoformat(), **row}
        self.rows.append(row)
        return row

    def reach(self, url: str) -> str:
        parts = urlsplit(url)
        local = self.internet.get(parts.hostname or "")
        if local is None:
            return url
        return urlunsplit(urlsplit(local)._replace(path=parts.path, query=parts.query))

    async def post(self, url: str, body: dict[str, Any], api_key: str, timeout: float = 30.0) -> httpx.Response:
        """`fetch(callback_url, {method: "POST", ...})`: raises on a network error, like fetch."""
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        try:
            async with httpx.AsyncClient(trust_env=False, timeout=timeout) as client:
                answer = await client.post(self.reach(url), content=json.dumps(body), headers=headers)
        except httpx.HTTPError as exc:
            self.callbacks.append({"body": body, "error": type(exc).__name__})
            raise
        self.callbacks.append({"body": body, "status": answer.status_code})
        return answer


def hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def received() -> JSONResponse:
    return JSONResponse({"received": True})


def invalid() -> JSONResponse:
    return JSONResponse({"error": "Invalid signature"}, status_code=401)


def phoenix(secret: str, api_key: str, db: Database, *, parsers_first: bool = False, receive_timeout: float = 10.0,
            backoff: float = 0.2, max_attempts: int = 3):
    async def perform(args: dict[str, Any]) -> None:
        for attempt in range(1, max_attempts + 1):  # Oban: a job that returns {:error, _} or raises runs again
            enriched = dict((args["ai_response"] or {}).get("data") or {})
            try:
                if args["event"] == "content_ready":
                    content = db.insert(title=enriched.get("title"), body=enriched.get("description"),
                                        category=args["customer_data"].get("category") or "general")
                    enriched.update({"id": content["id"], "slug": f"post-{content['id']}",
                                     "saved_at": datetime.now(UTC).isoformat()})
                answer = await db.post(args["callback_url"], {
                    "data": enriched, "task_id": f"phoenix_{args['event']}_{int(time.time())}",
                    "metadata": {"processed_by": "phoenix", "processed_at": datetime.now(UTC).isoformat()},
                }, api_key, timeout=receive_timeout)
                if 200 <= answer.status_code < 300:
                    return
            except (httpx.HTTPError, RuntimeError):
                pass
            await asyncio.sleep(backoff * attempt)

    async def app(scope, receive, send):
        request = Request(scope, receive)
        raw = await request.body()
        signature = request.headers.get("mr-signature", "")
        verified = b"" if parsers_first else raw  # Plug.Parsers already read the body: read_body gives ""
        if not hmac.compare_digest(hmac_hex(secret, verified), signature):
            return await invalid()(scope, receive, send)
        payload = json.loads(raw)
        if payload.get("type") == "task.ai_generated" and isinstance(payload.get("callback_url"), str):
            job = {"event": payload.get("event"), "ai_response": payload.get("ai_response"),
                   "callback_url": payload["callback_url"], "customer_data": payload.get("customer_data") or {}}
            db.jobs.append(asyncio.get_running_loop().create_task(perform(job)))  # Oban.insert
        await received()(scope, receive, send)

    return app


def _insert_row(db: Database, payload: dict[str, Any]) -> dict[str, Any]:
    data = (payload.get("ai_response") or {}).get("data") or {}
    customer = payload.get("customer_data") or {}
    return db.insert(title=data.get("title", "Untitled"), body=data.get("description", data.get("body", "")),
                     category=customer.get("category", "general"),
                     metadata={**customer, "ai_model": (payload.get("meta") or {}).get("model")},
                     channel_id=payload.get("channel_id"), event_name=payload.get("event"))


def convex(secret: str, api_key: str, db: Database):
    async def app(scope, receive, send):
        request = Request(scope, receive)
        raw = await request.body()
        signature = request.headers.get("mr-signature", "")
        if hmac_hex(secret, raw) != signature:  # the guide compares with !==
            return await invalid()(scope, receive, send)
        payload = json.loads(raw)
        callback_url = payload.get("callback_url")
        if payload.get("type") == "task.ai_generated" and callback_url:
            try:
                data = (payload.get("ai_response") or {}).get("data") or {}
                record = _insert_row(db, payload)
                answer = await db.post(callback_url, {
                    "data": {**data, "id": f"k{record['id']}", "saved_at": datetime.now(UTC).isoformat()},
                    "task_id": f"convex_k{record['id']}",
                    "metadata": {"database": "convex", "table": "aiContent", "record_id": f"k{record['id']}"},
                }, api_key)
                if not answer.is_success:
                    raise RuntimeError(f"callback failed: {answer.status_code}")
            except (RuntimeError, httpx.HTTPError) as exc:
                await db.post(callback_url, {"error": "processing_failed", "message": str(exc) or type(exc).__name__},
                              api_key)
        await received()(scope, receive, send)

    return app


def _timing_safe_equal(given: str, expected: str) -> bool:
    """Node's crypto.timingSafeEqual: throws when the lengths differ."""
    if len(given.encode()) != len(expected.encode()):
        raise ValueError("Input buffers must have the same byte length")
    return hmac.compare_digest(given.encode(), expected.encode())


def node_sql(database: str, secret: str, api_key: str, db: Database, *, edge: bool = False):
    """The Neon and PlanetScale handlers (they differ in names only); `edge`: the short Edge / Next.js one."""
    prefix = {"neon": "neon", "planetscale": "planetscale"}[database]

    async def app(scope, receive, send):
        request = Request(scope, receive)
        raw = await request.body()
        signature = request.headers.get("mr-signature", "")
        try:
            if not signature or not _timing_safe_equal(signature, hmac_hex(secret, raw)):
                return await invalid()(scope, receive, send)
        except ValueError:
            return await JSONResponse({"error": "Internal Server Error"}, status_code=500)(scope, receive, send)
        payload = json.loads(raw)
        callback_url = payload.get("callback_url")
        if payload.get("type") == "task.ai_generated" and callback_url:
            data = (payload.get("ai_response") or {}).get("data") or {}
            if edge:  # no catch: an error is a 500
                try:
                    record = _insert_row(db, payload)
                    added = {"id": record["id"]} if database == "planetscale" else \
                        {"id": record["id"], "saved_at": record["created_at"]}
                    await db.post(callback_url, {"data": {**data, **added},
                                                 "task_id": f"{'ps' if database == 'planetscale' else 'neon'}_"
                                                            f"{record['id']}"}, api_key)
                except (RuntimeError, httpx.HTTPError):
                    return await JSONResponse({"error": "Internal Server Error"}, status_code=500)(
                        scope, receive, send)
                return await received()(scope, receive, send)
            try:
                record = _insert_row(db, payload)
                await db.post(callback_url, {
                    "data": {**data, "id": record["id"], "saved_at": record["created_at"]},
                    "task_id": f"{prefix}_{record['id']}",
                    "metadata": {"database": database, "table": "ai_content", "record_id": record["id"]},
                }, api_key)  # the answer is not looked at
            except (RuntimeError, httpx.HTTPError) as exc:
                try:
                    await db.post(callback_url, {"error": "processing_failed", "message": str(exc)}, api_key)
                except httpx.HTTPError:
                    return await JSONResponse({"error": "Internal Server Error"}, status_code=500)(
                        scope, receive, send)
        await received()(scope, receive, send)

    return app


def reencoding(secret: str, api_key: str, db: Database, *, style: str = "python"):
    """The consumed-body bug, on an otherwise correct inline handler."""
    encode = {"python": json.dumps,  # json.dumps(request.get_json()): ", " and ": ", ASCII escapes
              "javascript": lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False)}[style]
    inner = node_sql("neon", secret, api_key, db)

    async def app(scope, receive, send):
        request = Request(scope, receive)
        raw = await request.body()
        signature = request.headers.get("mr-signature", "")
        try:
            parsed = json.loads(raw)
        except ValueError:
            return await JSONResponse({"error": "bad json"}, status_code=400)(scope, receive, send)
        if not hmac.compare_digest(hmac_hex(secret, encode(parsed).encode()), signature):
            return await invalid()(scope, receive, send)
        # the rest as the Neon handler, with the header rewritten to what it would have checked
        body_sent = False

        async def replay():
            nonlocal body_sent
            if body_sent:
                return {"type": "http.disconnect"}
            body_sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        headers = [(k, v) for k, v in scope["headers"] if k != b"mr-signature"]
        headers.append((b"mr-signature", hmac_hex(secret, raw).encode()))
        await inner({**scope, "headers": headers}, replay, send)

    return app


GUIDES = {
    "phoenix": lambda s, k, db: phoenix(s, k, db),
    "convex": convex,
    "neon": lambda s, k, db: node_sql("neon", s, k, db),
    "neon-edge": lambda s, k, db: node_sql("neon", s, k, db, edge=True),
    "planetscale": lambda s, k, db: node_sql("planetscale", s, k, db),
    "planetscale-nextjs": lambda s, k, db: node_sql("planetscale", s, k, db, edge=True),
}


async def serve(app) -> tuple[ListenerServer, str]:
    server = ListenerServer(app, "127.0.0.1", 0, name="guide receiver")
    await server.start()
    return server, server.url


async def drain(db: Database, timeout: float = 30.0) -> None:
    """Let background jobs (Oban's) finish."""
    if db.jobs:
        await asyncio.wait(db.jobs, timeout=timeout)
