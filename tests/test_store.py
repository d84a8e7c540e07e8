"""The capture store: exact bytes, ordered duplicate headers, group commit, paging, filters, runs, deliveries,
schema versions, write failures — and that a kill -9 loses nothing that was acknowledged."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import hookdeck_tui.store
from hookdeck_tui.store import (
    CapturedEvent,
    EventFilter,
    FilterError,
    ForwardOutcome,
    RouteMatch,
    SchemaError,
    SignatureVerdict,
    Store,
    StoreError,
    StoreWriteError,
    default_db_path,
)
from hookdeck_tui.store.commit import MAX_BATCH
from hookdeck_tui.store.schema import SCHEMA_VERSION, migrate
from hookdeck_tui.store.writer_process import CHECKPOINT_EVERY
from tests.waiting import wait_until


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "events.db") as s:
        yield s


def event(n: int = 0, **kw) -> CapturedEvent:
    defaults = dict(method="POST", path=f"/hooks/{n}", headers=[("Content-Type", "application/json")],
                    body=json.dumps({"n": n}).encode())
    return CapturedEvent(**{**defaults, **kw})


async def test_round_trip_keeps_exact_bytes_and_header_order(store: Store) -> None:
    body = b'{"a": 1}\n\xff\x00\r\n not utf-8 \xc3\x28'
    headers = [("X-Dup", "1"), ("content-type", "application/json"), ("x-dup", "2"), ("X-Empty", "")]
    sig = SignatureVerdict("modelriver", "invalid", "signature does not match", {"diagnosis": ["trailing newline"]})
    original = CapturedEvent("POST", "/webhooks/modelriver", headers, body, query="a=1&a=2", remote_addr="127.0.0.1",
                             listener="127.0.0.1:8090", signature=sig, response_status=200, origin="replay",
                             origin_ref=7, route="callback POST /webhooks/modelriver", meta={"k": [1, 2]})
    event_id = await store.append(original)
    loaded = store.get(event_id)
    assert loaded.body == body
    assert loaded.headers == headers
    assert (loaded.query, loaded.remote_addr, loaded.listener, loaded.response_status) == \
        ("a=1&a=2", "127.0.0.1", "127.0.0.1:8090", 200)
    assert loaded.signature == sig
    assert (loaded.origin, loaded.origin_ref, loaded.route, loaded.meta) == \
        ("replay", 7, "callback POST /webhooks/modelriver", {"k": [1, 2]})
    assert loaded.header("CONTENT-TYPE") == "application/json" and loaded.header("x-dup") == "1"
    assert store.get(event_id + 1) is None


async def test_concurrent_appends_share_commits_and_each_waits_for_its_own(store: Store) -> None:
    ids = await asyncio.gather(*(store.append(event(n)) for n in range(2000)))
    assert sorted(ids) == list(range(1, 2001))
    assert store.count() == 2000
    assert store.commits < 100  # group commit: far fewer transactions than rows
    for event_id in ids:  # every acknowledged id is readable right away
        assert store.get(event_id) is not None


async def test_a_loops_writes_are_committed_by_the_writer_process_and_checkpointed_there(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with Store(path) as s:
        s.start_writer_process()  # as a console does
        ids = await asyncio.gather(*(s.append(event(n, body=b"x" * 2000)) for n in range(3 * CHECKPOINT_EVERY)))
        assert sorted(ids) == list(range(1, 3 * CHECKPOINT_EVERY + 1))
        assert s.commits <= 3 * CHECKPOINT_EVERY // MAX_BATCH + 2  # one turn of the loop: MAX_BATCH per commit
        assert s._writer._connection.total_changes == 0  # none of it was written by this process
        assert s._writer._process.alive and s._writer._process._process.pid != os.getpid()
        # the writer process's checkpointer copies the WAL into the database file, which grows while it is open
        await wait_until(lambda: path.stat().st_size > 3 * CHECKPOINT_EVERY * 2000 // 2, timeout=10)
        s.append_sync(event(-1))  # a writer on another thread (an import) commits in this process meanwhile
        assert s._writer._connection.total_changes == 1
        assert (await s.append(event(-2))) == 3 * CHECKPOINT_EVERY + 2
        writer = s._writer._process
        os.kill(writer._process.pid, signal.SIGINT)  # Ctrl+C is for the console, which closes the pipe
        assert (await s.append(event(-3))) == 3 * CHECKPOINT_EVERY + 3
        assert s._writer._process is writer and writer._process.poll() is None
    assert writer._process.returncode == 0  # closing the store ended it cleanly


async def test_a_sustained_burst_keeps_the_wal_bounded(tmp_path: Path) -> None:
    """The checkpointer copies the WAL to its end with no commit in between, so the next commit starts it over:
    it once grew with every row of a burst that never paused."""
    path = tmp_path / "events.db"
    wal = tmp_path / "events.db-wal"
    body = b"x" * 2000
    largest = 0
    with Store(path) as s:
        s.start_writer_process()  # its checkpointer is the one that copies the WAL while commits go on
        for _turn in range(40):
            await asyncio.gather(*(s.append(event(n, body=body)) for n in range(500)))
            largest = max(largest, wal.stat().st_size)
        written = 40 * 500 * len(body)
        assert s.count() == 20_000
    assert largest < written / 2, f"the WAL reached {largest:,} bytes for {written:,} bytes written"


async def test_updates_record_later_facts(store: Store) -> None:
    event_id = await store.append(event(1))
    forward = ForwardOutcome("http://localhost:4000/x", 201, latency_ms=3.5, headers=[("a", "b")], body="ok")
    match = RouteMatch("callback", [{"key": "task-1", "status": "ok"}], engine=[{"delivered": False}])
    await store.update_event(event_id, forward=forward, response_status=202, match=match)
    loaded = store.get(event_id)
    assert loaded.forward == forward and loaded.match == match
    assert loaded.response_status == 202 and loaded.match.items[0]["key"] == "task-1"
    with pytest.raises(StoreWriteError, match="cannot update body"):
        await store.update_event(event_id, body=b"x")
    assert store.get(event_id).body == b'{"n": 1}'


async def test_paging_newest_first_and_after_cursor(store: Store) -> None:
    for n in range(120):
        await store.append(event(n))
    first = store.page(limit=50)
    assert [e.id for e in first] == list(range(120, 70, -1))
    assert all(e.body == b"" and e.body_size == len(json.dumps({"n": e.id - 1})) for e in first)
    second = store.page(before=first[-1].id, limit=50)
    assert [e.id for e in second] == list(range(70, 20, -1))
    newer = store.page(after=115, limit=10, include_body=True)
    assert [e.id for e in newer] == [116, 117, 118, 119, 120]
    assert newer[0].body == b'{"n": 115}'
    assert store.last_id() == 120


async def test_filters(store: Store) -> None:
    await store.append(event(1, method="GET", path="/health", body=b""))
    await store.append(event(2, response_status=404, body=b'{"type": "task.ai_generated"}'))
    await store.append(event(3, response_status=200, path="/webhooks/github",
                             signature=SignatureVerdict("github", "valid", "ok")))
    await store.append(event(4, response_status=503, origin="replay", route="callback POST /cb",
                             signature=SignatureVerdict("stripe", "invalid", "mismatch")))

    def ids(query: str) -> list[int]:
        return sorted(e.id for e in store.page(filters=EventFilter.parse(query)))

    assert ids("method:get") == [1]
    assert ids("status:4xx") == [2]
    assert ids("status:5xx") == [4]
    assert ids("status:200") == [3]
    assert ids("verdict:invalid") == [4]
    assert ids("path:/webhooks") == [3]
    assert ids("path:/hooks/*") == [2, 4]
    assert ids("origin:replay") == [4]
    assert ids("route:callback") == [4]
    assert ids("task.ai_generated") == [2]  # free text over the body
    assert ids("health") == [1]  # ... and the path
    assert ids('"ai_generated" status:4xx method:POST') == [2]
    assert store.count(EventFilter.parse("method:POST")) == 3
    for bad in ("status:abc", "verdict:great", "origin:mars", '"unterminated'):
        with pytest.raises(FilterError):
            EventFilter.parse(bad)


async def test_runs_job_states_and_deliveries(store: Store) -> None:
    event_id = await store.append(event(1))
    await store.save_run("run-1", "image", "running", input={"prompt": "cat"}, trigger_event=event_id)
    await store.add_job_state("run-1", "generate", "running")
    await store.add_job_state("run-1", "generate", "waiting", {"key": "run-1"})
    await store.save_run("run-1", "image", "succeeded", output={"url": "u"})
    (run,) = store.runs()
    assert (run.status, run.input, run.output, run.trigger_event) == \
        ("succeeded", {"prompt": "cat"}, {"url": "u"}, event_id)
    assert run.finished_at is not None
    assert [(s.job_id, s.state, s.detail) for s in store.job_states("run-1")] == \
        [("generate", "running", None), ("generate", "waiting", {"key": "run-1"})]
    await store.add_delivery(event_id, "forward", "http://localhost:4000/x", status=500, latency_ms=2.0,
                             response_headers=[("a", "b")], response_body=b"oops")
    await store.add_delivery(event_id, "forward", "http://localhost:4000/x", attempt=2, error="connect refused")
    first, second = store.deliveries(event_id)
    assert (first.status, first.response_body, first.response_headers) == (500, b"oops", [("a", "b")])
    assert (second.attempt, second.error, second.response_headers) == (2, "connect refused", None)


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_the_writer_and_the_writer_process_do_not_import_each_other() -> None:
    """They shared the commit and the settling of futures by importing each other (one import hidden in a
    function to get past the cycle); both now build on `commit.py`, and only the writer uses the writer process."""
    store_package = Path(hookdeck_tui.store.__file__).parent
    assert "hookdeck_tui.store.writer" not in imported_modules(store_package / "writer_process.py")
    assert "hookdeck_tui.store.commit" in imported_modules(store_package / "writer_process.py")
    writer = ast.parse((store_package / "writer.py").read_text())
    nested = [node for function in ast.walk(writer) if isinstance(function, ast.FunctionDef)
              for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert nested == [] and "hookdeck_tui.store.writer_process" in imported_modules(store_package / "writer.py")


def test_history_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with Store(path) as s:
        s.append_sync(event(1))
    with Store(path) as s:
        assert s.count() == 1 and s.schema_version == SCHEMA_VERSION


def test_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StoreError, match="newer than this hooktui knows"):
        Store(path)
    connection = sqlite3.connect(path)
    with pytest.raises(SchemaError):
        migrate(connection)
    connection.close()


def test_migration_from_an_empty_file_is_idempotent(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    assert migrate(connection) == 0
    assert migrate(connection) == SCHEMA_VERSION
    connection.close()


def test_unopenable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open the capture store"):
        Store(blocker / "sub" / "events.db")


async def test_a_failed_commit_is_reported_and_does_not_poison_the_batch(tmp_path: Path) -> None:
    with Store(tmp_path / "t.db") as s:
        # a trigger that rejects one specific path stands in for a failing row inside a shared batch
        s.append_sync(event(0))
        conn = sqlite3.connect(tmp_path / "t.db")
        conn.execute("CREATE TRIGGER reject BEFORE INSERT ON events WHEN NEW.path = '/bad' "
                     "BEGIN SELECT RAISE(ABORT, 'rejected by test'); END")
        conn.commit()
        conn.close()
        results = await asyncio.gather(*(s.append(event(n, path="/bad" if n == 5 else f"/ok/{n}"))
                                         for n in range(10)), return_exceptions=True)
        failures = [r for r in results if isinstance(r, Exception)]
        assert len(failures) == 1 and isinstance(failures[0], StoreWriteError)
        assert "rejected by test" in str(failures[0])
        assert s.count() == 10  # the first plus the nine good ones


def test_default_location() -> None:
    assert str(default_db_path("/x/y.db")) == "/x/y.db"
    assert str(default_db_path(None, {"HOOKTUI_DB": "/a.db", "HOME": "/h"})) == "/a.db"
    assert str(default_db_path(None, {"XDG_DATA_HOME": "/d", "HOME": "/h"})) == "/d/hooktui/hooktui.db"
    assert str(default_db_path(None, {"HOME": "/h"})) == "/h/.local/share/hooktui/hooktui.db"


def test_kill_9_under_load_loses_no_acknowledged_event(tmp_path: Path) -> None:
    path = tmp_path / "kill.db"
    helper = Path(__file__).parent / "store_load_writer.py"
    process = subprocess.Popen([sys.executable, str(helper), str(path)], stdout=subprocess.PIPE, text=True)
    acknowledged: dict[int, int] = {}
    try:
        for line in process.stdout:  # read acknowledgements until enough have arrived, then kill mid-burst
            event_id, n = map(int, line.split())
            acknowledged[event_id] = n
            if len(acknowledged) >= 3000:
                break
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    for line in process.stdout.read().splitlines():  # acknowledgements still in the pipe count too
        if line.count(" ") == 1:
            event_id, n = map(int, line.split())
            acknowledged[event_id] = n
    assert len(acknowledged) >= 3000
    with Store(path) as s:
        for event_id, n in acknowledged.items():
            stored = s.get(event_id)
            assert stored is not None, f"acknowledged event {event_id} lost"
            assert stored.path == f"/load/{n}" and json.loads(stored.body)["n"] == n
        assert s.count() >= len(acknowledged)


async def test_the_unfiltered_window_counts_by_id_then_takes_an_exact_count(tmp_path: Path) -> None:
    from hookdeck_tui.store.window import EventWindow

    with Store(tmp_path / "w.db") as store:
        for n in range(10):
            store.append_sync(CapturedEvent(method="POST", path=f"/p/{n}", headers=[], body=b""))
        with sqlite3.connect(store.path) as db:  # rows removed behind hooktui's back
            db.execute("DELETE FROM events WHERE id IN (3, 4)")
        window = EventWindow(store)
        assert window.count == 10  # the newest id, without a scan
        window.correct(10, store.tally(10)["total"])
        assert window.count == 8
        await window.load(0, 7)
        assert [window.row(i).id for i in range(8)] == [1, 2, 5, 6, 7, 8, 9, 10]
        window.set_filter(EventFilter.parse("path:/p/9"))
        assert not window.counted  # a filtered count is made on the window's thread
        assert await window.recount() and window.count == 1
        window.set_filter(EventFilter())
        assert window.count == 8  # the correction is remembered
        window.close()
