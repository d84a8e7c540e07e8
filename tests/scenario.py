"""A realistic day at the console, played through the real engine over real HTTP: ModelRiver events signed right
and wrong, a GitHub push, a binary upload, and a ModelRiver event whose workflow asks a review service and waits
until the review comes back on the callback route, which resumes the run.

Used by the snapshot tests (with a fixed clock and fixed run ids, so every screen is the same on every run) and by
`scripts/screenshots.py`."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import Store

SECRET = "mr_whsec_demo"
GITHUB_SECRET = "gh_demo"
START = datetime(2026, 11, 22, 9, 30, tzinfo=UTC).timestamp()

CONFIG = """
listeners:
  - type: http-trigger
    port: 0
    path: /webhooks/modelriver
    workflow: publish
    input: {{channel_id: "${{body.channel_id}}", title: "${{body.ai_response.data.title}}"}}
  - type: http-callback
    port: 0
    path: /callbacks/review
    identify_by: ${{body.channel_id}}
    status: ${{body.status}}
    success_when: [approved]
    fail_when: [rejected]
    result: ${{body.review}}
  - {{type: capture, port: 0, path: /}}
components:
  review:
    type: http-client
    endpoint: {review_url}
    body: {{channel_id: "${{input.channel_id}}", title: "${{input.title}}"}}
    completion: {{type: callback, wait_for: "${{input.channel_id}}"}}
workflow:
  id: publish
  jobs:
    - {{id: review, component: review, input: {{channel_id: "${{input.channel_id}}", title: "${{input.title}}"}}}}
    - {{id: announce, component: logger, depends_on: [review],
       input: {{message: "published ${{input.title}} (${{jobs.review.output.verdict}})"}}}}
"""


class ManualClock:
    """A wall clock that moves only when told: every record stamped between two ticks gets the same time."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


def modelriver_event(n: int, title: str) -> bytes:
    return json.dumps({
        "type": "task.ai_generated", "event": "content_ready", "channel_id": f"ch_{n:04d}",
        "ai_response": {"data": {"title": title, "body": "Revenue grew 12%…", "category": "news"}},
        "callback_url": "https://app.example.com/callbacks/modelriver", "callback_required": True,
        "customer_data": {"user_id": "u_42"}, "meta": {"provider": "openai", "model": "gpt-4o"},
        "timestamp": "2026-11-22T09:30:00Z"}, indent=2).encode()


@dataclass
class Urls:
    trigger: str
    callback: str
    capture: str


async def until(condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the scenario's engine did not settle in time")
        await asyncio.sleep(0.02)


async def play(urls: Urls, store: Store, *, tick: Callable[[float], None] = lambda _: None) -> list[str]:
    """Send the day's requests in order, each once the engine is done with the one before (so a manual clock's
    stamps never race), moving the clock with `tick` between them. Returns the run ids."""

    def reached(run_id: str, state: str) -> Callable[[], bool]:
        return lambda: any(s.state == state for s in store.job_states(run_id))

    stamp = int(START)
    runs = []
    async with httpx.AsyncClient(headers={"User-Agent": "ModelRiver-Webhooks/1.0"}) as client:
        for n, title in ((1, "Quarterly summary"), (2, "Launch notes")):
            body = modelriver_event(n, title)
            answer = await client.post(f"{urls.trigger}/webhooks/modelriver", content=body,
                                       headers={"Content-Type": "application/json",
                                                **dict(sign_body(body, scheme="modelriver", secret=SECRET,
                                                                 timestamp=stamp))})
            runs.append(answer.json()["task_id"])
            await until(reached(runs[-1], "waiting"))
            tick(2.5)
        await client.post(f"{urls.callback}/callbacks/review", json={
            "channel_id": "ch_0001", "status": "approved", "review": {"verdict": "approved", "by": "ada"}})
        await until(reached(runs[0], "succeeded"))
        await until(lambda: store.runs(run_ids=runs[:1])[0].status == "succeeded")
        tick(4)
        body = modelriver_event(3, "Weekly digest")
        signed = {"Content-Type": "application/json",
                  **dict(sign_body(body, scheme="modelriver", secret=SECRET, timestamp=stamp))}
        compact = json.dumps(json.loads(body), separators=(",", ":")).encode()  # a proxy re-serialized it
        answer = await client.post(f"{urls.trigger}/webhooks/modelriver", content=compact, headers=signed)
        runs.append(answer.json()["task_id"])
        await until(reached(runs[-1], "waiting"))
        tick(7)
        push = json.dumps({"ref": "refs/heads/main", "repository": {"full_name": "acme/widget"},
                           "pusher": {"name": "ada"}, "head_commit": {"id": "9f2c1e7", "message": "Fix retries"}})
        await client.post(f"{urls.capture}/webhooks/github", content=push.encode(), headers={
            "X-GitHub-Event": "push", "Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/4c2a1",
            **dict(sign_body(push.encode(), scheme="github", secret=GITHUB_SECRET))})
        tick(12)
        await client.put(f"{urls.capture}/uploads/avatar.png", content=bytes(range(64)) * 4, headers={
            "Content-Type": "image/png", "Authorization": "Bearer sk_live_51Hxxxxxxxx9f3a", "User-Agent": "curl/8.5"})
    return runs


def freeze(store: Store, ports: dict[int, int]) -> None:
    """Make a played history the same on every run: the ephemeral ports become fixed ones, client ports and
    handling times constants. (The clock and run ids are fixed while playing.)"""
    with sqlite3.connect(store.path) as db:
        for old, new in ports.items():
            for table, column in (("events", "listener"), ("events", "headers"), ("job_states", "detail")):
                db.execute(f"UPDATE {table} SET {column} = replace({column}, ?, ?)",
                           (f"127.0.0.1:{old}", f"127.0.0.1:{new}"))
        db.execute("UPDATE events SET remote_addr = '127.0.0.1:53114', timings = '{\"handled_ms\":0.4}'")
