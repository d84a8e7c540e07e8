"""Produce the README's screenshots from the real app: its own listeners receive the scenario of tests/scenario.py
over real HTTP (ModelRiver events signed right and wrong, a GitHub push, a binary upload, a review callback that
resumes a waiting run), a Cloudflare quick tunnel comes online (played by the fake cloudflared of tests/fakes, as
the real one cannot be downloaded here), then Pilot selects events and tabs and `save_screenshot()` writes SVGs
into screenshots/. Last, the forge screen sends a ModelRiver event to the example receiver (examples/), whose
callback completes the round trip.

    python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hookdeck_tui.config import parse_config  # noqa: E402
from hookdeck_tui.console import Console, VerifyDefaults  # noqa: E402
from hookdeck_tui.listener.server import ListenerServer  # noqa: E402
from hookdeck_tui.store import Store  # noqa: E402
from hookdeck_tui.tui.app import HooktuiApp  # noqa: E402
from hookdeck_tui.tui.forge_screen import ForgeScreen  # noqa: E402
from hookdeck_tui.tui.widgets.event_list import EventList  # noqa: E402
from tests.receiver import Receiver  # noqa: E402
from tests.scenario import CONFIG, GITHUB_SECRET, SECRET, ManualClock, Urls, play  # noqa: E402
from tests.test_round_trip import receiver_example  # noqa: E402

OUT = ROOT / "screenshots"
FAKE_CLOUDFLARED = ROOT / "tests" / "fakes" / "fake_tunnel.py"


async def until(pilot, condition, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.05)


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = Path(tmp) / "cloudflared"
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_CLOUDFLARED}" cloudflared "$@"\n')
        wrapper.chmod(0o755)
        os.environ["HOOKTUI_CLOUDFLARED"] = str(wrapper)
        os.environ["FAKE_TUNNEL_INFO"] = str(Path(tmp) / "relay-port")
        review = Receiver(answers=[(202, b'{"queued": true}')])
        review_url = await review.start()
        clock = ManualClock()
        store = Store(Path(tmp) / "shots.db", clock=clock)
        config = parse_config(CONFIG.format(review_url=f"{review_url}/reviews"), "demo.yaml")
        engine = Console(config, store, inspection_port=None, tunnels=("cloudflare",),
                         verify_defaults=VerifyDefaults(None, [SECRET, GITHUB_SECRET]), api_key="mr_demo_key")
        example = receiver_example.create_app(secret=SECRET, api_key="mr_demo_key", db_path=Path(tmp) / "app.db")

        async def receiver_app(scope, receive, send):  # the fixed clock moves as the app works
            clock.tick(0.84)
            await example(scope, receive, send)

        receiver = ListenerServer(receiver_app, "127.0.0.1", 0, name="example receiver")
        await receiver.start()
        app = HooktuiApp(engine)
        async with app.run_test(size=(140, 44)) as pilot:
            await play(Urls(*engine.listener_urls), store, tick=clock.tick)
            events = app.query_one(EventList)
            await until(pilot, lambda: events.window.count == 6)
            await until(pilot, lambda: any(t["status"] == "online" for t in engine.tunnels.states()))
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "main.svg"))
            await pilot.resize_terminal(80, 24)  # a laptop's default terminal: the bottom panes give way to the list
            await pilot.pause(0.5)
            app.save_screenshot(str(OUT / "main-80x24.svg"))
            await pilot.resize_terminal(140, 44)
            await pilot.pause(0.5)

            async def select(event_id: int, tab: str, name: str) -> None:
                await events.window.load(0, events.window.count - 1)  # the list reads its rows off the loop
                events.cursor = next(i for i in range(events.window.count) if events.window.row(i).id == event_id)
                app.query_one("#detail-tabs").active = f"tab-{tab}"
                await pilot.pause(0.3)
                app.save_screenshot(str(OUT / name))

            await select(4, "signature", "invalid-signature.svg")  # the re-serialized ModelRiver event
            await select(5, "body", "body.svg")  # the GitHub push
            await select(3, "workflow", "callback-resumes-run.svg")
            app.query_one("#bottom-tabs").active = "tab-tunnels"
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "tunnel-online.svg"))
            await pilot.press("question_mark")
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "help.svg"))
            await pilot.press("escape")
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, ForgeScreen))
            app.screen.query_one("#forge-to").value = receiver.url
            # the forge uses the tunnel's public URL for the callback; the fake tunnel's host resolves nowhere here,
            # so the example receiver calls back the listener directly
            app.screen.callback_base = engine.listener_urls[0]
            await pilot.pause(0.3)
            app.save_screenshot(str(OUT / "forge.svg"))
            await pilot.press("ctrl+s")
            await until(pilot, lambda: events.window.count == 8)
            await events.window.load(0, events.window.count - 1)
            forged = next(events.window.row(i) for i in range(events.window.count)
                          if events.window.row(i).origin == "forged")
            trip = (forged.meta or {}).get("round_trip") or {}
            await until(pilot, lambda: getattr(store.round_trip(trip["channel_id"]), "status", None) == "completed")
            app.query_one("#bottom-tabs").active = "tab-runs"
            await select(forged.id, "round-trip", "round-trip.svg")
            await pilot.press("q")
        await review.stop()
        await receiver.stop()
        store.close()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.glob('*.svg')))} into {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    asyncio.run(main())
