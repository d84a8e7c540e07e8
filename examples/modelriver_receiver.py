"""A ModelRiver webhook receiver in Python, following the handler pattern of the Phoenix / Convex / Neon /
PlanetScale guides: verify `mr-signature` (HMAC-SHA256 of the raw body, constant-time compare), answer
`200 {"received": true}` at once, then in the background save the AI result as an `ai_content` row (SQLite here)
and POST the `callback_url` with `Authorization: Bearer $MODELRIVER_API_KEY` — `{data, task_id, metadata}` on
success, `{error: "processing_failed", message}` when saving fails. Like the Phoenix guide's background job, the
callback is tried up to 3 times with a 10 s timeout each; a callback URL that is gone is logged, not a traceback;
and a second delivery of the same `channel_id` (a provider's retry) saves nothing twice and calls back once.

Run it next to hooktui and let hooktui play ModelRiver:

    MODELRIVER_WEBHOOK_SECRET=whsec_demo MODELRIVER_API_KEY=mr_demo python examples/modelriver_receiver.py --port 4000
    MODELRIVER_WEBHOOK_SECRET=whsec_demo MODELRIVER_API_KEY=mr_demo \\
        hooktui send --template modelriver.task_ai_generated --to http://127.0.0.1:4000 --wait
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SCHEMA = """CREATE TABLE IF NOT EXISTS ai_content (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, category TEXT NOT NULL, metadata TEXT NOT NULL,
    channel_id TEXT UNIQUE, event_name TEXT, created_at TEXT NOT NULL)"""
CALLBACK_ATTEMPTS = 3  # the Phoenix guide's job: max_attempts 3
CALLBACK_TIMEOUT = 10.0  # ... and a 10 s receive timeout per attempt
log = logging.getLogger("modelriver_receiver")


def verify_signature(raw_body: bytes, signature: str, secret: str) -> bool:
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def save_record(db_path: Path, payload: dict[str, Any]) -> dict[str, Any]:
    """Insert the ai_content row; returns its id and creation time."""
    data = (payload.get("ai_response") or {}).get("data") or {}
    customer = payload.get("customer_data") or {}
    meta = payload.get("meta") or {}
    created = datetime.now(timezone.utc).isoformat()
    with sqlite3.connect(db_path) as db:
        db.execute(SCHEMA)
        cursor = db.execute(
            "INSERT INTO ai_content (title, body, category, metadata, channel_id, event_name, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (data.get("title") or "Untitled", data.get("description") or data.get("body") or "",
             customer.get("category") or "general",
             json.dumps({**customer, "ai_model": meta.get("model"), "ai_provider": meta.get("provider")}),
             payload.get("channel_id"), payload.get("event"), created))
        return {"id": cursor.lastrowid, "created_at": created}


def already_saved(db_path: Path, channel_id: str | None) -> bool:
    if not channel_id:
        return False
    try:
        with sqlite3.connect(db_path) as db:
            db.execute(SCHEMA)
            return db.execute("SELECT 1 FROM ai_content WHERE channel_id = ?", (channel_id,)).fetchone() is not None
    except sqlite3.Error:
        return False  # the save will fail and say so in a processing_failed callback


def create_app(*, secret: str, api_key: str, db_path: Path, call_back: bool = True,
               attempts: int = CALLBACK_ATTEMPTS, callback_timeout: float = CALLBACK_TIMEOUT,
               retry_delay: float = 1.0) -> Starlette:
    """`call_back=False` makes a receiver that never calls back (to see hooktui's timeout). `attempts`,
    `callback_timeout` and `retry_delay` (times the attempt number) shape the callback's retries."""
    claimed: set[str] = set()  # channel ids received by this process (saved, or being saved)

    async def call_back_with_retries(callback_url: str, body: dict[str, Any]) -> bool:
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        problem = ""
        async with httpx.AsyncClient(trust_env=False, timeout=callback_timeout) as client:
            for attempt in range(1, attempts + 1):
                try:
                    answer = await client.post(callback_url, json=body, headers=headers)
                    if answer.is_success:
                        return True
                    problem = f"the callback answered {answer.status_code}"
                except (httpx.HTTPError, httpx.InvalidURL) as exc:
                    problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                log.warning("callback attempt %d/%d to %s failed: %s", attempt, attempts, callback_url, problem)
                if attempt < attempts:
                    await asyncio.sleep(retry_delay * attempt)
        log.error("callback to %s given up after %d attempts: %s", callback_url, attempts, problem)
        return False

    async def process(payload: dict[str, Any]) -> None:
        data = (payload.get("ai_response") or {}).get("data") or {}
        try:
            record = await asyncio.to_thread(save_record, db_path, payload)
            body = {"data": {**data, "id": record["id"], "saved_at": record["created_at"]},
                    "task_id": f"sqlite_{record['id']}",
                    "metadata": {"database": "sqlite", "table": "ai_content", "record_id": record["id"]}}
        except (sqlite3.Error, OSError) as exc:
            body = {"error": "processing_failed", "message": str(exc)}
        if call_back:
            await call_back_with_retries(payload["callback_url"], body)

    async def webhook(request: Request) -> JSONResponse:
        raw = await request.body()
        signature = request.headers.get("mr-signature")
        if not signature or not verify_signature(raw, signature, secret):
            return JSONResponse({"error": "Invalid signature"}, status_code=401)
        try:
            payload = json.loads(raw)
        except ValueError:
            return JSONResponse({"error": "Invalid JSON"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "Invalid JSON"}, status_code=400)
        channel = payload.get("channel_id")
        if channel and (channel in claimed or await asyncio.to_thread(already_saved, db_path, channel)):
            return JSONResponse({"received": True, "duplicate": True})  # a redelivery: nothing twice
        task = None
        if payload.get("type") == "task.ai_generated" and payload.get("callback_url"):
            if channel:
                claimed.add(channel)
            task = BackgroundTask(process, payload)
        return JSONResponse({"received": True}, background=task)

    return Starlette(routes=[Route("/webhooks/modelriver", webhook, methods=["POST"])])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=4000)
    parser.add_argument("--db", default="ai_content.db", help="SQLite file for ai_content (default %(default)s)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    secret, api_key = os.environ.get("MODELRIVER_WEBHOOK_SECRET"), os.environ.get("MODELRIVER_API_KEY")
    if not secret or not api_key:
        parser.error("set MODELRIVER_WEBHOOK_SECRET and MODELRIVER_API_KEY")
    uvicorn.run(create_app(secret=secret, api_key=api_key, db_path=Path(args.db)), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
