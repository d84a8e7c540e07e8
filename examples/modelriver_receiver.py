"""A ModelRiver webhook receiver in Python, following the handler pattern of the Phoenix / Convex / Neon /
PlanetScale guides: verify `mr-signature` (HMAC-SHA256 of the raw body, constant-time compare), answer
`200 {"received": true}` at once, then in the background save the AI result as an `ai_content` row (SQLite here)
and POST the `callback_url` with `Authorization: Bearer $MODELRIVER_API_KEY` — `{data, task_id, metadata}` on
success, `{error: "processing_failed", message}` when saving fails.

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
    channel_id TEXT, event_name TEXT, created_at TEXT NOT NULL)"""


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


def create_app(*, secret: str, api_key: str, db_path: Path, call_back: bool = True, attempts: int = 3) -> Starlette:
    """`call_back=False` makes a receiver that never calls back (to see hooktui's timeout)."""

    async def process(payload: dict[str, Any]) -> None:
        callback_url = payload["callback_url"]
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        data = (payload.get("ai_response") or {}).get("data") or {}
        error: Exception | None = None
        for attempt in range(attempts):  # the guides' background job retries up to 3 times
            try:
                record = await asyncio.to_thread(save_record, db_path, payload)
                body = {"data": {**data, "id": record["id"], "saved_at": record["created_at"]},
                        "task_id": f"sqlite_{record['id']}",
                        "metadata": {"database": "sqlite", "table": "ai_content", "record_id": record["id"]}}
                break
            except (sqlite3.Error, OSError) as exc:
                error = exc
                await asyncio.sleep(0.05 * (attempt + 1))
        else:
            body = {"error": "processing_failed", "message": str(error)}
        if call_back:
            async with httpx.AsyncClient(trust_env=False) as client:
                await client.post(callback_url, json=body, headers=headers, timeout=30)

    async def webhook(request: Request) -> JSONResponse:
        raw = await request.body()
        signature = request.headers.get("mr-signature")
        if not signature or not verify_signature(raw, signature, secret):
            return JSONResponse({"error": "Invalid signature"}, status_code=401)
        try:
            payload = json.loads(raw)
        except ValueError:
            return JSONResponse({"error": "Invalid JSON"}, status_code=400)
        task = None
        if payload.get("type") == "task.ai_generated" and payload.get("callback_url"):
            task = BackgroundTask(process, payload)
        return JSONResponse({"received": True}, background=task)

    return Starlette(routes=[Route("/webhooks/modelriver", webhook, methods=["POST"])])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=4000)
    parser.add_argument("--db", default="ai_content.db", help="SQLite file for ai_content (default %(default)s)")
    args = parser.parse_args()
    secret, api_key = os.environ.get("MODELRIVER_WEBHOOK_SECRET"), os.environ.get("MODELRIVER_API_KEY")
    if not secret or not api_key:
        parser.error("set MODELRIVER_WEBHOOK_SECRET and MODELRIVER_API_KEY")
    uvicorn.run(create_app(secret=secret, api_key=api_key, db_path=Path(args.db)), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
