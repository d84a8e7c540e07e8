"""The console app driven with Textual's Pilot, with real requests into a real listener on an ephemeral port. Tests
wait on conditions, never on fixed sleeps."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from rich.console import Console as RichConsole
from rich.syntax import Syntax
from textual.widgets import OptionList

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.messages import EventUpdated
from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import CapturedEvent, SignatureVerdict, Store
from hookdeck_tui.store.window import EventWindow
from hookdeck_tui.tui.app import HooktuiApp
from hookdeck_tui.tui.help import HelpScreen
from hookdeck_tui.tui.widgets.event_list import EventList, row_segments

SIZE = (130, 40)


def make_app(tmp_path: Path, yaml_text: str = "listener: {type: capture, port: 0}\n") -> tuple[HooktuiApp, Store]:
    store = Store(tmp_path / "tui.db")
    engine = Console(parse_config(yaml_text, "t.yaml"), store, inspection_port=None)
    return HooktuiApp(engine), store


async def until(pilot, condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def text_of(app: HooktuiApp, widget_id: str) -> str:
    """What a Static shows, as plain text (syntax-highlighted bodies included). A detail tab is drawn when it is
    opened, so reading one opens it, as a user would."""
    if widget_id.startswith("detail-"):
        detail = app.query_one("#detail")
        tab = widget_id.removeprefix("detail-")
        app.query_one("#detail-tabs").active = f"tab-{tab}"
        detail.draw(tab)
    widget = app.query_one(f"#{widget_id}")
    if isinstance(widget, OptionList):
        return "\n".join(str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count))
    content = widget.content
    return content.code if isinstance(content, Syntax) else str(content)


async def post(url: str, path: str, body: bytes = b"{}", headers: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(url + path, content=body, headers=headers or {})


async def test_events_arrive_and_the_detail_follows(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        body = b'{"type":"task.ai_generated","channel_id":"ch_1"}'
        await post(url, "/webhooks/modelriver", body, dict(sign_body(body, scheme="modelriver", secret="s")))
        await post(url, "/second", b'{"n": 2}', {"Authorization": "Bearer supersecrettoken"})
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 2)
        await until(pilot, lambda: "#2" in text_of(app, "detail-overview"))
        assert "POST /second" in text_of(app, "detail-overview").replace("POST/", "POST /")
        headers = text_of(app, "detail-headers")
        assert "authorization: Bearer ••••oken" in headers and "supersecrettoken" not in headers
        await pilot.press("v")
        assert "Bearer supersecrettoken" in text_of(app, "detail-headers")
        await pilot.press("up")
        await until(pilot, lambda: "#1" in text_of(app, "detail-overview"))
        assert "Signature   unchecked · modelriver" in text_of(app, "detail-overview")
        assert "task.ai_generated" in text_of(app, "detail-body")
        assert "no secret is configured" in text_of(app, "detail-signature")
        await pilot.press("q")
    store.close()


async def test_the_tail_is_followed_only_from_the_bottom(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        events = app.query_one(EventList)
        for n in range(3):
            await post(url, f"/n/{n}")
        await until(pilot, lambda: events.window.count == 3 and events.cursor == 2)
        await pilot.press("up")  # off the bottom: new arrivals no longer move the cursor
        await until(pilot, lambda: events.cursor == 1)
        for n in range(3, 5):
            await post(url, f"/n/{n}")
        await until(pilot, lambda: events.window.count == 5)
        await until(pilot, lambda: "2 new" in text_of(app, "status"))
        assert events.cursor == 1 and not events.following
        await pilot.press("f")
        await until(pilot, lambda: events.cursor == 4 and events.following)
        await post(url, "/n/5")
        await until(pilot, lambda: events.cursor == 5)
        await pilot.press("q")
    store.close()


async def test_filter_and_clear(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        events = app.query_one(EventList)
        await post(url, "/github/push", b'{"ref": "main"}')
        await post(url, "/stripe", b'{"type": "charge.succeeded"}')
        await post(url, "/other", b"plain")
        await until(pilot, lambda: events.window.count == 3)
        await pilot.press("slash")
        await pilot.press(*"charge", "enter")
        await until(pilot, lambda: events.window.count == 1)
        assert "/stripe" in text_of(app, "detail-overview")
        await pilot.press("slash")
        await pilot.press(*" status:abc", "enter")
        await until(pilot, lambda: any("status:abc" in str(n.message) for n in app._notifications))
        assert events.window.count == 1  # a bad filter changes nothing
        await pilot.press("escape")
        await until(pilot, lambda: events.window.count == 3)
        await pilot.press("q")
    store.close()


async def test_copy_as_curl_and_body(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        await post(url, "/hook?x=1", b'{"it\'s": "quoted"}', {"X-Custom": "yes"})
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 1 and app.query_one("DetailPane").event is not None)
        await pilot.press("c")
        assert app.clipboard.startswith(f"curl -X POST '{url}/hook?x=1' ")
        assert "-H 'x-custom: yes'" in app.clipboard
        assert "--data-binary '{\"it'\"'\"'s\": \"quoted\"}'" in app.clipboard
        await pilot.press("y")
        assert app.clipboard == '{"it\'s": "quoted"}'
        await pilot.press("q")
    store.close()


async def test_help_lists_every_key(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        buffer = io.StringIO()
        RichConsole(file=buffer, width=200).print(app.screen.query_one("Static").content)
        shown = buffer.getvalue()
        for binding in app.BINDINGS:
            assert binding.description in shown
        table = app.screen.query_one("Static")  # laid out on screen, not just composed (it once had no width)
        await until(pilot, lambda: table.size.width > 80 and table.size.height >= len(app.BINDINGS))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen))
        await pilot.press("q")
    store.close()


MILLION = 1_000_000


def write_history(path: Path, n: int) -> None:
    """n stored events, written by SQLite itself (seconds, not minutes): every 10th invalid, every 7th unmatched."""
    Store(path).close()  # the schema
    with sqlite3.connect(path) as db:
        db.execute(f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
            INSERT INTO events (received_at, method, path, headers, body, body_size, sig_scheme, sig_status,
                                sig_reason, route, response_status)
            SELECT 1795339800 + i * 0.01, 'POST', '/history/' || i, '[["content-type","application/json"]]',
                   CAST('{{"n":' || i || '}}' AS BLOB), length('{{"n":' || i || '}}'), 'modelriver',
                   CASE WHEN i % 10 = 0 THEN 'invalid' ELSE 'valid' END, '',
                   CASE WHEN i % 7 = 0 THEN NULL ELSE 'capture * /' END, 200 FROM n""")


async def test_a_million_event_history_opens_at_the_newest_and_scrolls_without_loading_it_all(tmp_path: Path) -> None:
    write_history(tmp_path / "tui.db", MILLION)
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        events = app.query_one(EventList)
        await until(pilot, lambda: "#1000000" in text_of(app, "detail-overview"))
        assert events.window.count == MILLION
        status = app.query_one("#status")
        await until(pilot, lambda: status.counts["total"] == MILLION)
        assert status.counts == {"total": MILLION, "valid": 900_000, "invalid": 100_000, "unmatched": 142_857}
        for _ in range(30):
            await pilot.press("pageup")
        await until(pilot, lambda: f"#{MILLION - 600}" in text_of(app, "detail-overview"))
        assert events.window.cached <= 1000  # a few pages, never the history
        await pilot.press("home")
        await until(pilot, lambda: "#1 " in text_of(app, "detail-overview"))
        assert events.window.cached <= 1000
        await pilot.press("end")
        await until(pilot, lambda: "#1000000" in text_of(app, "detail-overview"))
        await pilot.press("slash", *"verdict:invalid", "enter")
        await until(pilot, lambda: events.window.count == 100_000)
        await until(pilot, lambda: "#1000000" in text_of(app, "detail-overview"))
        await post(app.engine.listener_urls[0], "/new", b"{}")  # live events add to the history's counters
        await until(pilot, lambda: status.counts["total"] == MILLION + 1)
        await pilot.press("q")
    store.close()


async def test_events_stored_by_another_process_are_listed_counted_and_rated(tmp_path: Path) -> None:
    """`hooktui send` or `import` in another terminal writes to the same store: each frame reads what was stored
    since the last one, so those events are listed and counted like the listener's own, and the rate is not
    capped (it once counted at most 10,000 arrivals per 10 s)."""
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        status = app.query_one("#status")
        events = app.query_one(EventList)
        other = Store(tmp_path / "tui.db")
        invalid = SignatureVerdict("github", "invalid", "signature does not match", {})
        other.append_many([CapturedEvent("POST", f"/elsewhere/{n}", [], b"{}", route="capture * /",
                                         signature=invalid if n % 4 == 0 else None) for n in range(12_000)])
        other.close()
        await until(pilot, lambda: events.window.count == 12_000)
        await until(pilot, lambda: status.counts["total"] == 12_000)
        assert status.counts == {"total": 12_000, "valid": 0, "invalid": 3_000, "unmatched": 0}
        assert status.rate() == 1_200.0  # 12,000 in the last 10 s
        await pilot.press("q")
    store.close()


BURST = 10_000


async def test_a_burst_while_keys_are_pressed(tmp_path: Path) -> None:
    """Keys pressed during a burst take effect while it goes on (the UI is not starved), and every event of the
    burst ends up in the list's source."""
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        events = app.query_one(EventList)

        async def burst() -> None:  # 16 keep-alive connections, each sending its share in sequence
            port = app.engine.servers[0].port

            async def sender(k: int) -> None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                for n in range(k, BURST, 16):
                    writer.write(f"POST /burst/{n} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}".encode())
                    head = await reader.readuntil(b"\r\n\r\n")
                    assert head.startswith(b"HTTP/1.1 200"), head
                    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:"))
                    await reader.readexactly(length)
                writer.close()

            await asyncio.gather(*(sender(k) for k in range(16)))

        await post(url, "/before")
        await until(pilot, lambda: events.window.count == 1)
        sender = asyncio.create_task(burst())
        await until(pilot, lambda: events.window.count > 20)
        effects = 0
        while not sender.done():
            before = events.cursor
            press = asyncio.create_task(pilot.press("up" if before > 0 else "down"))
            await until(pilot, lambda before=before: events.cursor != before or sender.done())
            effects += events.cursor != before
            await press
        await sender
        assert effects >= 1  # at least one key took effect mid-burst (each one did, or the loop would have hung)
        await until(pilot, lambda: events.window.count == BURST + 1)
        source = EventWindow(app.engine.store)  # what the list reads, a page at a time as scrolling through it would
        listed = set()
        for first in range(0, BURST + 1, 500):
            await source.load(first, first + 499)
            listed |= {source.row(i).path for i in range(first, min(first + 500, BURST + 1))}
        source.close()
        assert listed == {"/before"} | {f"/burst/{n}" for n in range(BURST)}
        assert app.query_one("#status").counts["total"] == BURST + 1
        await pilot.press("q")
    store.close()


async def test_quit_stops_the_listener(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        port = app.engine.servers[0].port
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running or not app.engine.servers)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
    store.close()


@pytest.mark.parametrize("bad", ["\x1b[2J\x1b[31mred", "bell\x07"])
async def test_terminal_escapes_in_requests_are_shown_inert(tmp_path: Path, bad: str) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await post(app.engine.listener_urls[0], "/esc", bad.encode())  # the HTTP parser refuses them in headers
        await until(pilot, lambda: app.query_one("DetailPane").event is not None)
        body = text_of(app, "detail-body")
        assert "\x1b" not in body and "\x07" not in body
        assert "\\x1b" in body or "\\x07" in body
        await pilot.press("q")
    store.close()


async def test_forward_tab_shows_each_attempt_and_the_answer(tmp_path: Path) -> None:
    from tests.receiver import Receiver

    receiver = Receiver(answers=[(500, b'{"error": "boom"}'), (201, b'{"saved": 7}')])
    app_url = await receiver.start()
    try:
        app, store = make_app(tmp_path, f"listener: {{type: capture, port: 0, forward: [{{url: '{app_url}', "
                                        f"retries: 1, backoff: 0.01}}]}}\n")
        async with app.run_test(size=SIZE) as pilot:
            await post(app.engine.listener_urls[0], "/orders", b'{"id": 1}')
            await until(pilot, lambda: "attempt 2" in text_of(app, "detail-forward"))
            forward = text_of(app, "detail-forward")
            assert f"attempt 1  {app_url}/orders → 500" in forward and f"attempt 2  {app_url}/orders → 201" in forward
            assert '"saved": 7' in forward
            await pilot.press("q")
        store.close()
    finally:
        await receiver.stop()


async def test_workflow_tab_shows_the_run_timeline(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, """
listener: {type: http-trigger, port: 0, path: /deploy, workflow: ship, input: {repo: "${body.repo}"}}
workflows:
  ship:
    jobs:
      - {id: announce, component: logger, input: {message: "shipping ${input.repo}"}}
""")
    async with app.run_test(size=SIZE) as pilot:
        response = await post(app.engine.listener_urls[0], "/deploy", b'{"repo": "acme/widget"}',
                              {"Content-Type": "application/json"})
        run_id = response.json()["task_id"]
        await until(pilot, lambda: f"run {run_id}  ship  succeeded" in text_of(app, "detail-workflow"))  # the run,
        # not only its last job (a job's state is stored a moment before its run's)
        timeline = text_of(app, "detail-workflow")
        assert "trigger → workflow ship" in timeline and f"run {run_id}  ship  succeeded" in timeline
        assert "announce" in timeline and "running" in timeline
        row = "".join(text for text, _ in row_segments(app.window.row(0)))
        assert row.endswith(f"/deploy  trigger POST /deploy → ship → {run_id}"), row  # the run it started
        await pilot.press("q")
    store.close()


async def test_a_row_changed_after_it_was_listed_is_shown_as_stored(tmp_path: Path) -> None:
    """A route's match (and the runs it started) are stored just after the event; the list reads new rows once per
    frame, so it may have read one before that: it reads it again when the engine says a stored event changed
    (EventUpdated, as the listener publishes after storing a match)."""
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        events = app.query_one(EventList)
        await post(app.engine.listener_urls[0], "/later", b"{}")
        await until(pilot, lambda: events.window.count == 1 and events.window.row(0) is not None)
        assert "run_x" not in "".join(text for text, _ in row_segments(events.window.row(0)))
        await store.update_event(1, route="trigger POST /later", match={"kind": "trigger", "workflow": "ship",
                                                                        "runs": [], "engine": [{"run_id": "run_x"}]})
        app.engine.bus.publish(EventUpdated(store.get(1), final=False))
        await until(pilot, lambda: "".join(text for text, _ in row_segments(events.window.row(0)))
                    .endswith("trigger POST /later → run_x"))
        await pilot.press("q")
    store.close()


async def test_bottom_tabs_show_runs_tunnels_and_log_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ngrok here: its tunnel fails and says why
    monkeypatch.delenv("HOOKTUI_NGROK", raising=False)
    app, store = make_app(tmp_path, """
listener: {type: http-trigger, port: 0, path: /go, workflow: hello}
gateway: {type: http-tunnel, driver: ngrok, port: 9999}
workflows:
  hello: {jobs: [{id: say, component: logger, input: {level: warning, message: "hello from a run"}}]}
""")
    async with app.run_test(size=SIZE) as pilot:
        json_type = {"Content-Type": "application/json"}  # a trigger route wants it (or a valid signature)
        run_id = (await post(app.engine.listener_urls[0], "/go", b"{}", json_type)).json()["task_id"]
        await until(pilot, lambda: f"{run_id} hello" in text_of(app, "runs") and "succeeded" in text_of(app, "runs"))
        timeline = text_of(app, "run-timeline")  # the highlighted run's timeline, beside the list
        assert f"run {run_id}  hello  succeeded" in timeline and "say" in timeline and "event #1" in timeline
        second = (await post(app.engine.listener_urls[0], "/go", b"{}", json_type)).json()["task_id"]
        await until(pilot, lambda: second in text_of(app, "runs"))
        assert f"run {run_id}  hello" in text_of(app, "run-timeline")  # the highlight stays on the chosen run
        app.query_one("#runs").focus()
        await pilot.press("up")  # the newest run is listed first
        await until(pilot, lambda: f"run {second}  hello" in text_of(app, "run-timeline"))
        await until(pilot, lambda: "ngrok :9999" in text_of(app, "tunnels") and "failed" in text_of(app, "tunnels"))
        assert "ngrok is not installed" in text_of(app, "tunnels")
        app.query_one("#bottom-tabs").active = "tab-log"  # a hidden log renders once it is shown

        def logged() -> str:
            return " ".join(" ".join(str(line.text) for line in app.query_one("#log").lines).split())

        await until(pilot, lambda: "warning hello from a run" in logged())
        await pilot.press("q")
    store.close()


async def test_tunnels_pane_restarts_a_fixed_tunnel_and_copies_its_url(tmp_path: Path, fake_binaries: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NGROK_AUTHTOKEN", raising=False)
    store = Store(tmp_path / "tui.db")
    engine = Console(parse_config("listener: {type: capture, port: 0}\n", "t.yaml"), store, inspection_port=None,
                     tunnels=("ngrok",), tunnel_settings={"url_timeout": 2.0, "backoff": 0.05, "backoff_cap": 0.2})
    app = HooktuiApp(engine)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "failed" in text_of(app, "tunnels"))
        assert "ERR_NGROK_4018" in text_of(app, "tunnels")
        await pilot.press("u")  # no public URL yet: the listener's URL is what can be copied
        assert app.clipboard == app.engine.listener_urls[0]
        monkeypatch.setenv("NGROK_AUTHTOKEN", "tok_fixed")
        await pilot.press("t")
        await until(pilot, lambda: "online" in text_of(app, "tunnels"))
        public_url = app.engine.tunnels.states()[0]["public_url"]
        assert public_url in text_of(app, "tunnels") and public_url in str(app.query_one("#status").content)
        await pilot.press("u")
        assert app.clipboard == public_url
        await pilot.press("q")
    store.close()


async def test_export_key_writes_the_filtered_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        await post(url, "/keep/1", b'{"n": 1}')
        await post(url, "/drop", b"x")
        await post(url, "/keep/2", bytes([0, 255, 1]), {"Content-Type": "application/octet-stream"})
        await until(pilot, lambda: app.window.count == 3)
        await pilot.press("slash", *"path:/keep", "enter")
        await until(pilot, lambda: app.window.count == 2)
        await pilot.press("x")
        field = app.screen.query_one("#export-path")
        field.value = "out.har"
        await pilot.press("enter")
        await until(pilot, lambda: (tmp_path / "out.har").exists() and app.screen is app.screen_stack[0])
        har = json.loads((tmp_path / "out.har").read_text())
        entries = har["log"]["entries"]
        assert [e["request"]["url"] for e in entries] == [f"{url}/keep/1", f"{url}/keep/2"]
        assert entries[1]["request"]["postData"] == {"mimeType": "application/octet-stream", "params": [],
                                                    "text": "AP8B", "encoding": "base64"}
        await pilot.press("x")
        app.screen.query_one("#export-path").value = str(tmp_path / "missing-dir" / "out.ndjson")
        await pilot.press("enter")
        await until(pilot, lambda: "cannot write" in str(app.screen.query_one("#export-error").content))
        await pilot.press("escape", "q")
    store.close()


async def test_signature_tab_diagnoses_in_a_worker_and_names_the_cause(tmp_path: Path) -> None:
    """The listener stores `diagnosis: pending`; the Signature tab computes it off the loop and shows the cause."""
    app, store = make_app(tmp_path, "listener: {type: capture, port: 0, verify: {scheme: github, secret: gh_s}}\n")
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        body = b'{"action":"opened","number":7}'
        await post(url, "/hooks/github", body + b"\n", dict(sign_body(body, scheme="github", secret="gh_s")))
        await until(pilot, lambda: app.query_one(EventList).window.count == 1)
        stored = store.get(1)
        assert stored.signature.status == "invalid" and stored.signature.details["diagnosis"] == "pending"
        await until(pilot, lambda: "#1" in text_of(app, "detail-overview"))
        await until(pilot, lambda: "likely: a trailing newline was added" in text_of(app, "detail-signature"))
        assert "[bytes.trailing_newline]" in text_of(app, "detail-signature")
        await pilot.press("q")
    store.close()


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_a_history_opens_at_its_newest_row_with_the_cursor_in_view(tmp_path: Path, size) -> None:
    """With 60 stored events the list showed the oldest rows while the detail showed the newest, and `f` did
    nothing; the newest row is now in view under the cursor, after a cleared filter too, and `f` brings it back."""
    store = Store(tmp_path / "tui.db")
    store.append_many([CapturedEvent("POST", f"/n/{n}", [], b"{}") for n in range(60)])
    app = HooktuiApp(Console(parse_config("listener: {type: capture, port: 0}\n", "t.yaml"), store,
                             inspection_port=None))
    async with app.run_test(size=size) as pilot:
        events = app.query_one(EventList)

        def newest_in_view() -> bool:
            top, height = events.scroll_offset.y, events.scrollable_content_region.height
            return events.cursor == 59 and top <= 59 < top + height

        await until(pilot, newest_in_view)
        await pilot.press("home")
        await until(pilot, lambda: events.scroll_offset.y == 0)
        await pilot.press("f")
        await until(pilot, newest_in_view)
        await pilot.press("slash")
        await pilot.press(*"/n/1", "enter")
        await until(pilot, lambda: events.window.count == 11)
        await pilot.press("slash", "escape")
        await until(pilot, lambda: events.window.count == 60)
        await until(pilot, newest_in_view)
    store.close()


async def test_the_footer_keeps_help_at_80_columns(tmp_path: Path) -> None:
    """The footer is cut at the terminal's width; `?` (which lists every key) was past the cut at 80 columns."""
    from textual.widgets import Footer

    app, store = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        footer = app.query_one(Footer)
        visible = [key for key in footer.query("FooterKey") if key.region.right <= footer.region.right]
        assert any(key.key == "question_mark" for key in visible), [key.key for key in visible]
    store.close()
