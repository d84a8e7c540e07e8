"""The console before its first request: the event list says where to send one and gives a curl line that works
as pasted — run here with the real curl against the real listener, whose event then replaces the hint."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path

from hookdeck_tui.tui.widgets.event_list import EventList
from tests.test_tui import make_app, until


def screen_lines(app, widget: EventList) -> list[str]:
    height = widget.scrollable_content_region.height
    return [widget.render_line(y).text.rstrip() for y in range(height)]


async def test_an_empty_console_shows_the_url_and_a_curl_line_that_works(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        url = app.engine.listener_urls[0]
        events = app.query_one(EventList)
        await until(pilot, lambda: any(url in line for line in screen_lines(app, events)))
        lines = screen_lines(app, events)
        assert lines[:3] == [" No requests yet. Send one from another terminal (or press s to forge one):",
                             f" curl {url}/webhooks -H 'Content-Type: application/json' \\",
                             "   -d '{\"hello\": \"hooktui\"}'"]  # whole: nothing cropped at 80 columns
        command = lines[1].strip().removesuffix("\\") + " " + lines[2].strip()
        curl = await asyncio.create_subprocess_exec(*shlex.split(command), "--silent", "--max-time", "20",
                                                    stdout=asyncio.subprocess.PIPE)  # the listener runs in this loop
        out, _ = await asyncio.wait_for(curl.communicate(), 30)
        assert curl.returncode == 0 and out == b'{"received":true}'
        await until(pilot, lambda: events.window.count == 1)
        (event,) = store.page(limit=5, include_body=True)
        assert (event.method, event.path, event.body) == ("POST", "/webhooks", b'{"hello": "hooktui"}')
        assert {k.lower(): v for k, v in event.headers}["content-type"] == "application/json"
        await pilot.pause(0.1)
        assert not any("No requests yet" in line for line in screen_lines(app, events))


async def test_a_filter_that_matches_nothing_does_not_show_the_first_request_hint(tmp_path: Path) -> None:
    app, _store = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        events = app.query_one(EventList)
        await until(pilot, lambda: any("No requests yet" in line for line in screen_lines(app, events)))
        await pilot.press("slash", *"method:DELETE", "enter")
        await until(pilot, lambda: not any("No requests yet" in line for line in screen_lines(app, events)))
