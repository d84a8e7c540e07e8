"""The detail pane and bottom panes as a user reads them, driven with Textual's Pilot over a real listener: fields in
words (no JSON dumps), the signature said once, form and long JSON bodies, the stored runs, the Log tab, the theme's
colours, and the mouse."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

from rich.syntax import Syntax
from textual import events
from textual.binding import Binding
from textual.color import Color

from hookdeck_tui.signatures import sign_body
from hookdeck_tui.tui.app import DETAIL_EVERY_WHEN_FOLLOWING
from hookdeck_tui.tui.widgets.detail import DetailPane
from hookdeck_tui.tui.widgets.event_list import EventList
from tests.test_tui import SIZE, make_app, post, text_of, until

TRIGGER = """
listener: {type: http-trigger, port: 0, path: /deploy, workflow: ship, input: {repo: "${body.repo}"}}
workflows:
  ship:
    jobs:
      - {id: announce, component: logger, input: {message: "shipping ${input.repo}"}}
"""


def rows(text: str) -> dict[str, str]:
    """`Label  value` rows of a tab: label → value (a row whose label is blank continues the one above)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        label, _, value = line.partition("  ")
        if label.strip() and value:
            out[label.strip()] = value.strip()
    return out


async def test_overview_and_workflow_tabs_are_rows_in_words(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, TRIGGER)
    async with app.run_test(size=SIZE) as pilot:
        response = await post(app.engine.listener_urls[0], "/deploy", b'{"repo": "acme/widget"}',
                              {"Content-Type": "application/json"})
        run_id = response.json()["task_id"]
        await until(pilot, lambda: f"run {run_id}  ship  succeeded" in text_of(app, "detail-workflow"))
        overview = text_of(app, "detail-overview")
        fields = rows(overview)
        assert fields["Method"] == "POST" and fields["Path"] == "/deploy"
        assert fields["Answer"] == str(response.status_code)
        assert fields["Route"] == "trigger POST /deploy → ship"
        assert fields["Workflow"].startswith(f"ship → run {run_id}")
        assert "Received" in fields and fields["Origin"] == "external"
        assert '{"kind"' not in overview and '"engine"' not in overview  # the match said in words, not dumped
        timeline = text_of(app, "detail-workflow")
        assert "Route       trigger → workflow ship" in timeline
        assert "running     announce  attempt 1 of 1" in timeline  # time, state, job, short detail
        assert '{"attempt"' not in timeline and '"output":' not in timeline
        await pilot.press("q")
    store.close()


async def test_signature_tab_says_each_thing_once_with_received_over_expected(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, "listener: {type: capture, port: 0, verify: {scheme: github, secret: gh_s}}\n")
    async with app.run_test(size=SIZE) as pilot:
        body = b'{"action":"opened","number":7}'
        await post(app.engine.listener_urls[0], "/hooks/github", body + b"\n",
                   dict(sign_body(body, scheme="github", secret="gh_s")))
        await until(pilot, lambda: app.query_one("#detail").event is not None)
        await until(pilot, lambda: "likely:" in text_of(app, "detail-signature"))
        shown = text_of(app, "detail-signature")
        reason = store.get(1).signature.reason
        assert rows(shown)["Verdict"] == "invalid · github"
        assert shown.count(reason) == 1 and shown.count("likely:") == 1 and shown.count("[bytes.trailing_newline]") == 1
        lines = shown.splitlines()
        received = next(line for line in lines if line.startswith("Received  "))
        expected = next(line for line in lines if line.startswith("Expected  "))
        assert received.split()[1].startswith("sha256=") or len(received.split()[1]) == 64
        assert received.rindex(" ") == expected.rindex(" ")  # one above the other, in the same column
        assert shown.count("Received") == 1 and shown.count("Expected") == 1
        await pilot.press("q")
    store.close()


async def test_a_form_body_is_shown_as_fields_and_raw(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        form = urlencode({"command": "/deploy", "text": "prod now", "user_name": "ada"})
        await post(app.engine.listener_urls[0], "/slack/commands", form.encode(),
                   {"Content-Type": "application/x-www-form-urlencoded"})
        await until(pilot, lambda: app.query_one("#detail").event is not None)
        body = text_of(app, "detail-body")
        assert "form, 3 fields" in body
        assert "command    /deploy" in body and "text       prod now" in body and "user_name  ada" in body
        assert form in body  # and the raw body, as received
        await pilot.press("q")
    store.close()


async def test_long_json_is_folded_until_expanded(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    items = [{"id": n, "customer": {"name": f"c{n}", "address": {"city": "Oslo", "zip": "0150"}}} for n in range(60)]
    async with app.run_test(size=SIZE) as pilot:
        await post(app.engine.listener_urls[0], "/bulk", json.dumps({"orders": items, "page": 1}).encode(),
                   {"Content-Type": "application/json"})
        await until(pilot, lambda: app.query_one("#detail").event is not None)
        folded = text_of(app, "detail-body")
        assert "folded" in folded and '"address": {…} 2 keys' in folded and "… 40 more items" in folded
        assert len(folded.splitlines()) < len(json.dumps({"orders": items}, indent=2).splitlines()) / 2
        await pilot.pause()  # the opened tab laid out
        await pilot.click("#detail-body", offset=(len("long JSON, folded: ") + 3, 0))  # the note's link
        await until(pilot, lambda: isinstance(app.query_one("#detail-body").content, Syntax))
        expanded = text_of(app, "detail-body")
        assert '"city": "Oslo"' in expanded and '"id": 59' in expanded and "folded" not in expanded
        assert app.active_bindings["z"].binding.description == "Expand/fold JSON"
        await pilot.press("z")  # which folds it again
        await until(pilot, lambda: "folded" in text_of(app, "detail-body"))
        await post(app.engine.listener_urls[0], "/small", b'{"a": 1}', {"Content-Type": "application/json"})
        await until(pilot, lambda: '"a": 1' in text_of(app, "detail-body"))
        await until(pilot, lambda: "z" not in app.active_bindings)  # a short body has nothing to fold
        await pilot.press("q")
    store.close()


def hooktui_run(config: Path, db: Path) -> str:
    """`hooktui run` in its own process, storing its run in `db`; returns the run id."""
    result = subprocess.run([sys.executable, "-m", "hookdeck_tui", "run", "-c", str(config), "--db", str(db), "ship",
                             "--input", '{"repo": "acme/widget"}'], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return next(line.split()[1] for line in result.stderr.splitlines() if line.startswith("run run_"))


async def test_workflows_pane_lists_the_stored_runs(tmp_path: Path) -> None:
    config = tmp_path / "hooktui.yaml"
    config.write_text(TRIGGER)
    earlier = hooktui_run(config, tmp_path / "tui.db")  # a run from before the console started
    app, store = make_app(tmp_path, TRIGGER)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: earlier in text_of(app, "runs"))
        assert "succeeded" in text_of(app, "runs")
        assert f"run {earlier}  ship  succeeded" in text_of(app, "run-timeline")
        later = await asyncio.to_thread(hooktui_run, config, tmp_path / "tui.db")  # another process, while open
        await until(pilot, lambda: later in text_of(app, "runs"))
        assert text_of(app, "runs").index(later) < text_of(app, "runs").index(earlier)  # newest first
        await pilot.press("q")
    store.close()


async def test_log_tab_gets_the_consoles_actions_and_errors(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await post(app.engine.listener_urls[0], "/orders", b'{"id": 1}')
        await until(pilot, lambda: app.query_one("#detail").event is not None)
        await pilot.press("r")  # replay: to hooktui itself (nothing is forwarded)
        await until(pilot, lambda: app.window.count == 2)
        await pilot.press("slash", *"status:abc", "enter")  # a filter it cannot read: an error
        app.query_one("#bottom-tabs").active = "tab-log"

        def logged() -> str:  # the lines as one text (a long line wraps in the pane)
            return " ".join(" ".join(str(line.text) for line in app.query_one("#log").lines).split())

        await until(pilot, lambda: "status:abc" in logged() and "replay of #1 → #2" in logged())
        replayed = next(str(n.message) for n in app._notifications if n.title == "Replay")
        assert f"replay {' '.join(replayed.split())}" in logged()
        assert "error Filter: status:abc" in logged()
        await pilot.press("q")
    store.close()


def colour_of(app, widget_id: str, word: str) -> Color:
    """The foreground colour `word` is drawn in, from the widget's rendered segments."""
    widget = app.query_one(f"#{widget_id}")
    for y in range(widget.size.height):
        for segment in widget.render_line(y):
            if segment.text.strip() == word and segment.style is not None and segment.style.color is not None:
                return Color.from_rich_color(segment.style.color)
    raise AssertionError(f"{word!r} not drawn in #{widget_id}")


async def test_switching_to_a_light_theme_recolours_the_badges(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, "listener: {type: capture, port: 0, verify: {scheme: github, secret: gh_s}}\n")
    async with app.run_test(size=SIZE) as pilot:
        await post(app.engine.listener_urls[0], "/hooks/github", b"{}", {"X-Hub-Signature-256": "sha256=00"})
        await until(pilot, lambda: app.query_one("#detail").event is not None)
        text_of(app, "detail-signature")
        await pilot.pause()
        dark = colour_of(app, "detail-signature", "invalid")
        assert dark == Color.parse(app.get_css_variables()["text-error"])
        app.theme = "textual-light"
        await pilot.pause()
        await until(pilot, lambda: colour_of(app, "detail-signature", "invalid") != dark)
        light = colour_of(app, "detail-signature", "invalid")
        assert light == Color.parse(app.get_css_variables()["text-error"])
        background = Color.parse(app.get_css_variables()["background"])
        assert light.brightness < background.brightness  # dark text on the light background
        await pilot.press("q")
    store.close()


async def test_a_click_opens_a_tab_and_the_wheel_scrolls_it(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await post(app.engine.listener_urls[0], "/lines", "\n".join(f"line {n}" for n in range(200)).encode())
        await until(pilot, lambda: app.query_one("#detail").event is not None)
        await pilot.click("#--content-tab-tab-body")
        await until(pilot, lambda: app.query_one("#detail-tabs").active == "tab-body")
        await until(pilot, lambda: "line 199" in str(app.query_one("#detail-body").content))  # drawn when opened
        scroll = app.query_one("#detail-body")  # a tab scrolls itself
        assert scroll.scroll_y == 0
        x, y = scroll.region.x + 5, scroll.region.y + 2
        for _ in range(3):
            app.post_message(events.MouseScrollDown(None, x, y, 0, 1, 0, False, False, False, screen_x=x, screen_y=y))
        await until(pilot, lambda: scroll.scroll_y > 0)
        await pilot.press("q")
    store.close()


async def test_showing_event_after_event_repaints_the_tab_without_a_layout_pass(tmp_path: Path) -> None:
    """Paging through events redraws the detail each time, and that is a repaint of the tab alone: a layout pass over
    the whole screen per event was what held up new rows while the list followed a busy tail."""
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        for n in range(12):
            await post(url, f"/hook/{n}", json.dumps({"n": n}).encode())
        detail = app.query_one("#detail")
        await until(pilot, lambda: detail.event is not None and detail.event.target == "/hook/11")
        await pilot.pause(0.3)
        layouts = []
        refresh_layout = app.screen._refresh_layout
        app.screen._refresh_layout = lambda *args, **kwargs: (layouts.append(1), refresh_layout(*args, **kwargs))
        for n in range(10, -1, -1):
            await pilot.press("up")
            await until(pilot, lambda n=n: f"/hook/{n}" in str(app.query_one("#detail-overview").content))
        await pilot.pause(0.1)
        assert layouts == []
        assert app.query_one("#detail-overview").virtual_size.height >= 8  # drawn, and its scroll range follows
        await pilot.press("q")
    store.close()


async def test_a_tabs_text_can_be_selected_and_copied(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await post(app.engine.listener_urls[0], "/selected", b'{"a": 1}')
        overview = app.query_one("#detail-overview")
        await until(pilot, lambda: "/selected" in str(overview.content))
        await pilot.pause(0.1)
        overview.text_select_all()
        await pilot.pause(0.05)
        selected = app.screen.get_selected_text() or ""
        assert "POST /selected" in selected and "Path" in selected
        assert "selected" in overview.render_line(0).text  # drawn with the selection's highlight
        await pilot.press("q")
    store.close()


async def test_the_detail_follows_arrivals_a_few_times_a_second_and_a_key_at_once(tmp_path: Path) -> None:
    """At 200 events a second a detail redrawn for each would be 200 redraws nobody can read: what arrives while it
    was drawn moments ago waits for one draw, of the newest. A key shows its event at once."""
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        for n in range(6):
            await post(url, f"/hook/{n}")
        detail = app.query_one(DetailPane)
        await until(pilot, lambda: detail.event is not None and detail.event.target == "/hook/5")
        await pilot.pause(DETAIL_EVERY_WHEN_FOLLOWING + 0.05)
        ids = [1, 2, 3, 4, 5, 6]  # a fresh store numbers from 1
        drawn: list[int | None] = []
        show = detail.show
        detail.show = lambda event: (drawn.append(event.id if event else None), show(event))[1]
        for event_id in ids:
            app.show_event(EventList.Selected(event_id, by_arrival=True))
        assert drawn == [ids[0]]  # drawn long enough ago: the first at once
        await until(pilot, lambda: drawn[-1:] == [ids[-1]])
        assert drawn == [ids[0], ids[-1]]  # the others in one draw, the newest
        app.show_event(EventList.Selected(ids[2]))
        assert drawn[-1] == ids[2]  # a key: at once
        await pilot.press("q")
    store.close()


async def test_z_folds_from_the_list_and_f_brings_the_keys_back_to_it(tmp_path: Path) -> None:
    """The fold key works wherever the focus is (it is listed in the help, and in the footer while it applies); after
    scrolling a tab with the keys, `f` gives the arrows back to the list."""
    app, store = make_app(tmp_path)
    items = [{"id": n, "tags": ["a", "b"]} for n in range(120)]
    async with app.run_test(size=SIZE) as pilot:
        await post(app.engine.listener_urls[0], "/bulk", json.dumps({"orders": items}).encode(),
                   {"Content-Type": "application/json"})
        events = app.query_one(EventList)
        await until(pilot, lambda: app.query_one("#detail").event is not None)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await until(pilot, lambda: "folded" in str(app.query_one("#detail-body").content))
        assert app.focused is events
        await pilot.press("z")
        await until(pilot, lambda: isinstance(app.query_one("#detail-body").content, Syntax))
        app.query_one("#detail-body").focus()
        await pilot.press("f")
        assert app.focused is events
        help_keys = [binding.key for binding in app.BINDINGS if isinstance(binding, Binding)]
        assert "z" in help_keys  # the help lists the app's bindings
        await pilot.press("q")
    store.close()


async def test_another_event_opens_each_tab_at_its_top(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        url = app.engine.listener_urls[0]
        for n in range(2):
            await post(url, f"/lines/{n}", "\n".join(f"line {i} of {n}" for i in range(100)).encode())
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 2 and app.query_one("#detail").event is not None)
        await pilot.press("right_square_bracket", "right_square_bracket")
        body = app.query_one("#detail-body")
        await until(pilot, lambda: "line 99 of 1" in str(body.content))
        body.scroll_end(animate=False, immediate=True)
        await until(pilot, lambda: body.scroll_y > 0)
        await pilot.press("up")  # the other event
        await until(pilot, lambda: "line 99 of 0" in str(body.content))
        assert body.scroll_y == 0
        await pilot.press("q")
    store.close()
