"""Produce the README's screenshots from the real app: a real listener on a loopback port receives a realistic
scenario (ModelRiver events signed right and wrong, a GitHub push, a binary upload), then Pilot selects events and
tabs and `save_screenshot()` writes SVGs into screenshots/.

    python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import httpx

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console, VerifyDefaults
from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import Store
from hookdeck_tui.tui.app import HooktuiApp
from hookdeck_tui.tui.widgets.event_list import EventList

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SECRET = "mr_whsec_demo"
CONFIG = "listener: {type: capture, port: 0}\n"  # the built-in default, on a free port; schemes are detected


def modelriver_event(n: int) -> bytes:
    return json.dumps({
        "type": "task.ai_generated", "event": "content_ready", "channel_id": f"ch_{n:04d}",
        "ai_response": {"data": {"title": f"Quarterly summary #{n}", "body": "Revenue grew 12%…", "category": "news"}},
        "callback_url": "https://app.example.com/callbacks/modelriver", "callback_required": True,
        "customer_data": {"user_id": "u_42"}, "meta": {"provider": "openai", "model": "gpt-4o"},
        "timestamp": "2026-11-22T09:30:00Z"}, indent=2).encode()


async def scenario(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for n in range(1, 4):
            body = modelriver_event(n)
            await client.post(f"{url}/webhooks/modelriver", content=body,
                              headers=dict(sign_body(body, scheme="modelriver", secret=SECRET)))
        body = modelriver_event(4)
        signed = dict(sign_body(body, scheme="modelriver", secret=SECRET))
        compact = json.dumps(json.loads(body), separators=(",", ":")).encode()  # a proxy re-serialized it
        await client.post(f"{url}/webhooks/modelriver", content=compact, headers=signed)
        push = json.dumps({"ref": "refs/heads/main", "repository": {"full_name": "acme/widget"},
                           "pusher": {"name": "ada"}, "head_commit": {"id": "9f2c1e7", "message": "Fix retries"}})
        await client.post(f"{url}/webhooks/github", content=push.encode(),
                          headers={"X-GitHub-Event": "push", "Content-Type": "application/json",
                                   **dict(sign_body(push.encode(), scheme="github", secret="gh_demo"))})
        await client.put(f"{url}/uploads/avatar.png", content=bytes(range(64)) * 4,
                         headers={"Content-Type": "image/png", "Authorization": "Bearer sk_live_51Hxxxxxxxx9f3a"})


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "shots.db")
        engine = Console(parse_config(CONFIG, "screenshots.yaml"), store, inspection_port=None,
                         verify_defaults=VerifyDefaults(None, [SECRET, "gh_demo"]))
        app = HooktuiApp(engine)
        async with app.run_test(size=(140, 42)) as pilot:
            await scenario(engine.listener_urls[0])
            events = app.query_one(EventList)
            while events.window.count < 6:
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "main.svg"))
            await pilot.press("up", "up")  # the re-serialized ModelRiver event
            app.query_one("#detail-tabs").active = "tab-signature"
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "invalid-signature.svg"))
            app.query_one("#detail-tabs").active = "tab-body"
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "body.svg"))
            await pilot.press("question_mark")
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "help.svg"))
            await pilot.press("escape", "q")
        store.close()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.glob('*.svg')))} into {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
