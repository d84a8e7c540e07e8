"""The store over time: `hooktui prune` (real processes on a real store), the config's retention applied by a
running `hooktui listen`, and the console's cleared view (Pilot) that hides without deleting."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from hookdeck_tui.store import CapturedEvent, Store
from hookdeck_tui.tui.help import HelpScreen
from tests.test_listen_cli import ListenProcess
from tests.test_tui import SIZE, make_app, post, until

DAY = 86400.0
START = datetime(2026, 3, 1, 12, 0).timestamp()  # local time, as `--before` reads a date without an offset


def hooktui(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd, env=dict(os.environ))


async def _history(path: Path, days: int = 5) -> list[int]:
    """One event a day from START, each with a forward attempt, the first one with a run it triggered."""
    with Store(path) as store:
        ids = store.append_many([CapturedEvent("POST", f"/day/{n}", [], b"{}", received_at=START + n * DAY)
                                 for n in range(days)])
        for event_id in ids:
            await store.add_delivery(event_id, "forward", "http://127.0.0.1:4000/x", status=200, latency_ms=1.0)
        await store.save_run("run_1", "wf", "succeeded", trigger_event=ids[0])
        await store.add_job_state("run_1", "job", "succeeded")
    return ids


def _rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as c:
        return {table: c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("events", "deliveries", "runs", "job_states")}


async def test_prune_keep_before_and_all(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    ids = await _history(db)
    kept = hooktui("prune", "--keep", "3", "--db", str(db))
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.startswith("removed 2 events (all but the newest 3 events)")
    assert _rows(db) == {"events": 3, "deliveries": 3, "runs": 0, "job_states": 0}

    before = hooktui("prune", "--before", "2026-03-05", "--db", str(db))  # day 4 (Mar 5 12:00) stays
    assert before.returncode == 0 and before.stdout.startswith("removed 2 events (events received before 2026-03-05")
    with Store(db) as store:
        assert [e.id for e in store.page(limit=10)] == [ids[4]]
    nothing = hooktui("prune", "--keep", "10", "--db", str(db))
    assert nothing.stdout.startswith("removed 0 events")
    everything = hooktui("prune", "--all", "--db", str(db))
    assert everything.returncode == 0 and everything.stdout.startswith("removed 1 event (every event)")
    assert _rows(db) == {"events": 0, "deliveries": 0, "runs": 0, "job_states": 0}
    assert "ids start again at 1" in everything.stdout
    with Store(db) as store:  # still a store
        assert store.append_many([CapturedEvent("GET", "/after", [], b"")]) == [1]


async def test_a_running_listener_keeps_what_the_config_says(tmp_path: Path) -> None:
    await _history(tmp_path / "listen.db")
    config = tmp_path / "hooktui.yaml"
    config.write_text("listener: {type: capture, port: 0}\nstore: {keep: 2}\n")
    checked = hooktui("check", "-c", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listen = ListenProcess(tmp_path, "-c", str(config))
    for _ in range(500):
        if _rows(listen.db)["events"] == 2:
            break
        await asyncio.sleep(0.02)
    code, _, err = listen.stop()
    assert code == 0, err
    assert "info: store: removed 3 old event(s), keeping the newest 2" in err
    assert _rows(listen.db)["events"] == 2
    config.write_text("listener: {type: capture, port: 0}\nstore: {keep: 0, keep_for: 3}\n")
    bad = hooktui("check", "-c", str(config))
    assert bad.returncode == 2 and ":2:" in bad.stdout and "keep" in bad.stdout and "keep_for" in bad.stdout


async def test_the_console_clears_its_view_without_deleting(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        await post(url, "/one")
        await post(url, "/two")
        await until(pilot, lambda: app.window.count == 2)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: app.window.count == 0)
        await post(url, "/three")
        await until(pilot, lambda: app.window.count == 1)
        assert app.window.row(0).path == "/three" and store.count() == 3
        await pilot.press("slash")
        await pilot.press(*"three", "enter")  # a filter keeps the view cleared
        await until(pilot, lambda: app.window.filters.text == ["three"])
        assert app.window.count == 1
        await pilot.press("slash", "escape")  # so does clearing the filter
        await until(pilot, lambda: not app.window.filters.text)
        assert app.window.count == 1
        await pilot.press("ctrl+l")
        await until(pilot, lambda: app.window.count == 0)
        await pilot.press("ctrl+l")  # again, with nothing new since: the whole history is back
        await until(pilot, lambda: app.window.count == 3)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert any(b.key == "ctrl+l" and b.description == "Clear view" for b in app.screen.bindings)
    store.close()


async def test_prune_before_a_date_goes_by_each_events_time_not_its_id(tmp_path: Path) -> None:
    """An import keeps its events' original times under new, higher ids: `--before` (and `keep_days`) must remove
    only what is old, never the recent events captured before the import (it removed all of them)."""
    db = tmp_path / "events.db"
    recent = await _history(db, days=3)
    with Store(db) as store:
        (imported,) = store.append_many([CapturedEvent("POST", "/imported", [], b"{}", origin="import",
                                                       received_at=START - 400 * DAY)])
    assert imported > max(recent)
    result = hooktui("prune", "--before", "2026-01-01", "--db", str(db))
    assert result.returncode == 0 and result.stdout.startswith("removed 1 event "), result.stdout
    with Store(db) as store:
        assert sorted(e.id for e in store.page(limit=10)) == recent
    assert _rows(db)["runs"] == 1 and _rows(db)["deliveries"] == 3  # what hangs off the recent events stays
