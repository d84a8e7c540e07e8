"""Export and import: events captured by a real listener go out as HAR or NDJSON and come back byte-exact;
`show --curl` prints a command line that real curl runs against a real receiver; bad files say where and store
nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console, VerifyDefaults
from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import CapturedEvent, EventFilter, Store
from tests.receiver import Receiver

SECRET = "mr_whsec_x"
BINARY = bytes(range(256))


def hooktui(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], capture_output=True, text=True,
                          input=stdin, env=os.environ, timeout=60)


@pytest.fixture
async def captured(tmp_path: Path) -> Path:
    """A store with real captures: signed JSON, a binary body, a form body with a query string and repeated
    headers, and a GET without a body."""
    db = tmp_path / "source.db"
    store = Store(db)
    console = Console(parse_config("listener: {type: capture, port: 0}\n", "t.yaml"), store, inspection_port=None,
                      verify_defaults=VerifyDefaults(None, [SECRET]))
    await console.start()
    url = console.listener_urls[0]
    body = b'{"type": "task.ai_generated", "channel_id": "ch_1", "note": "caf\xc3\xa9"}'
    async with httpx.AsyncClient() as client:
        await client.post(f"{url}/webhooks/modelriver", content=body,
                          headers=dict(sign_body(body, scheme="modelriver", secret=SECRET)))
        await client.put(f"{url}/upload", content=BINARY, headers={"Content-Type": "application/octet-stream"})
        await client.post(f"{url}/slack/commands?team=T1&x=a%20b", content=b"text=hello+world&user=U1",
                          headers=[("Content-Type", "application/x-www-form-urlencoded"), ("X-Dup", "1"),
                                   ("X-Dup", "2")])
        await client.get(f"{url}/health")
    await console.stop()
    store.close()
    return db


def originals(db: Path) -> list:
    with Store(db) as store:
        return [store.get(e.id) for e in reversed(store.page(limit=100))]


@pytest.mark.parametrize("fmt", ["har", "ndjson"])
def test_export_then_import_round_trips_every_byte(captured: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"events.{fmt}"
    result = hooktui("export", "--db", str(captured), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"exported 4 events as {fmt.upper()} to {out}" in result.stderr
    target = tmp_path / "target.db"
    result = hooktui("import", str(out), "--db", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"imported 4 events from {out} as #1–#4")
    before, after = originals(captured), originals(target)
    for old, new in zip(before, after, strict=True):
        assert (new.method, new.path, new.query, new.headers, new.body) == \
            (old.method, old.path, old.query, old.headers, old.body)
        assert new.received_at == pytest.approx(old.received_at, abs=1e-3)
        assert new.origin == "import"
        assert new.meta["imported"]["id"] == old.id and new.meta["imported"]["file"] == out.name
        assert new.response_status == old.response_status
        assert (new.signature.status, new.signature.scheme) == (old.signature.status, old.signature.scheme)
    assert after[0].signature.status == "valid" and after[1].body == BINARY


def test_har_is_a_har_that_other_tools_read(captured: Path) -> None:
    result = hooktui("export", "--db", str(captured), "--format", "har", "--base-url", "https://hooks.example.com")
    har = json.loads(result.stdout)
    assert har["log"]["version"] == "1.2" and har["log"]["creator"]["name"] == "hooktui"
    entries = har["log"]["entries"]
    for entry in entries:  # the fields HAR 1.2 requires
        assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(entry)
        assert {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize",
                "bodySize"} <= set(entry["request"])
        assert {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL",
                "headersSize", "bodySize"} <= set(entry["response"])
        assert {"send", "wait", "receive"} <= set(entry["timings"])
    form = entries[2]["request"]
    assert form["url"] == "https://hooks.example.com/slack/commands?team=T1&x=a%20b"
    assert form["queryString"] == [{"name": "team", "value": "T1"}, {"name": "x", "value": "a b"}]
    assert form["postData"]["text"] == "text=hello+world&user=U1"
    assert [h["value"] for h in form["headers"] if h["name"] == "x-dup"] == ["1", "2"]
    assert entries[1]["request"]["postData"]["encoding"] == "base64"
    assert "postData" not in entries[3]["request"]  # a GET without a body


def test_a_browser_har_without_hooktui_fields_imports(tmp_path: Path) -> None:
    har = {"log": {"version": "1.2", "creator": {"name": "Firefox"}, "entries": [{
        "startedDateTime": "2026-11-22T09:30:00.000+01:00", "time": 12,
        "request": {"method": "POST", "url": "https://api.example.com/hook?a=1", "httpVersion": "HTTP/2",
                    "headers": [{"name": "content-type", "value": "application/json"}], "queryString": [],
                    "cookies": [], "headersSize": -1, "bodySize": 9,
                    "postData": {"mimeType": "application/json", "text": '{"ok": 1}'}},
        "response": {"status": 204, "statusText": "", "httpVersion": "HTTP/2", "headers": [], "cookies": [],
                     "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": 0},
        "cache": {}, "timings": {"send": 0, "wait": 12, "receive": 0}}]}}
    path = tmp_path / "browser.har"
    path.write_text(json.dumps(har))
    db = tmp_path / "t.db"
    assert hooktui("import", str(path), "--db", str(db)).returncode == 0
    with Store(db) as store:
        event = store.get(1)
    assert (event.method, event.path, event.query, event.body) == ("POST", "/hook", "a=1", b'{"ok": 1}')
    assert event.received_at == 1795336200.0 and event.response_status == 204
    assert event.meta["imported"] == {"id": None, "received_at": "2026-11-22T09:30:00.000+01:00",
                                      "file": "browser.har", "origin": None}


FINE = '{"method": "GET", "path": "/fine", "received_at": 1}\n'


@pytest.mark.parametrize(("content", "message"), [
    (FINE + '{"broken": \n', "bad.ndjson:2:12: not valid JSON"),
    (FINE + '{"method": "POST"}\n', "bad.ndjson:2: missing field 'path'"),
    (FINE + '{"method": "POST", "path": "/x", "received_at": 1, "body_base64": "***"}\n', "bad.ndjson:2: "),
    ('{"log": {"entries": [{"request": {}}]}}', "bad.ndjson: entry 0: missing field 'url'"),
    ('{"log": {"version": "1.2"}}', "bad.ndjson: a HAR file needs log.entries"),
])
def test_a_bad_file_says_where_and_stores_nothing(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text(content)
    db = tmp_path / "t.db"
    result = hooktui("import", str(path), "--db", str(db))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    with Store(db) as store:
        assert store.count() == 0  # not even the good line before the bad one: no half import


def test_export_filters_and_an_unknown_filter_is_a_usage_error(captured: Path) -> None:
    result = hooktui("export", "--db", str(captured), "--format", "ndjson", "--filter", "method:PUT")
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["body_base64"]
    bad = hooktui("export", "--db", str(captured), "--filter", "status:abc")
    assert bad.returncode == 2 and "status:abc" in bad.stderr


async def test_show_curl_replays_byte_exact_through_real_curl(captured: Path) -> None:
    receiver = Receiver()
    url = await receiver.start()
    try:
        for event_id in (1, 3):
            command = hooktui("show", str(event_id), "--curl", "--base-url", url, "--db", str(captured)).stdout
            curl = await asyncio.create_subprocess_exec("sh", "-c", command.strip() + " -s -S -o /dev/null",
                                                        stderr=asyncio.subprocess.PIPE)
            _, errors = await asyncio.wait_for(curl.communicate(), 30)  # the receiver answers on this loop
            assert curl.returncode == 0, errors
        with Store(captured) as store:
            first = store.get(1)
        sent = receiver.requests
        assert sent[0].body == first.body and sent[0].path == "/webhooks/modelriver"
        assert dict(sent[0].headers)["mr-signature"] == first.header("mr-signature")
        assert (sent[1].path, sent[1].query, sent[1].body) == ("/slack/commands", "team=T1&x=a%20b",
                                                                b"text=hello+world&user=U1")
    finally:
        await receiver.stop()


def test_show_har_and_unknown_ids(captured: Path) -> None:
    har = json.loads(hooktui("show", "2", "--har", "--db", str(captured)).stdout)
    assert har["log"]["entries"][0]["request"]["postData"]["encoding"] == "base64"
    missing = hooktui("show", "99", "--curl", "--db", str(captured))
    assert missing.returncode == 1 and "no event #99" in missing.stderr


def test_matching_events_reads_in_batches(tmp_path: Path) -> None:
    from hookdeck_tui.store import CapturedEvent
    from hookdeck_tui.store.exchange import matching_events

    with Store(tmp_path / "t.db") as store:
        store.append_many([CapturedEvent("POST", f"/n/{i}", [], str(i).encode()) for i in range(1234)])
        listed = [e.body for e in matching_events(store, EventFilter.parse("path:/n/1"))]
    assert listed == [str(i).encode() for i in range(1234) if f"/n/{i}".find("/n/1") >= 0]


def _ndjson_of(path: Path, count: int) -> Path:
    line = '{"method": "POST", "path": "/bulk/%d", "received_at": 1700000000, "body": "%s"}\n'
    path.write_text("".join(line % (i, "x" * 200) for i in range(count)))
    return path


def test_an_import_killed_midway_stores_nothing(tmp_path: Path) -> None:
    """One transaction for the whole file: SIGKILL while it writes leaves no row of it (it left 5,120 of
    300,000 when each 512 rows were committed on their own)."""
    source = _ndjson_of(tmp_path / "big.ndjson", 100_000)
    db = tmp_path / "t.db"
    Store(db).close()
    wal = Path(f"{db}-wal")
    importer = subprocess.Popen([sys.executable, "-m", "hookdeck_tui", "import", str(source), "--db", str(db)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while importer.poll() is None and not (wal.exists() and wal.stat().st_size > 2 * 1024 * 1024):
            time.sleep(0.01)  # until rows are being written (sqlite spills the transaction into the WAL)
        importer.send_signal(signal.SIGKILL)
    finally:
        importer.wait(30)
    assert importer.returncode == -signal.SIGKILL, "the import finished before it could be killed midway"
    with Store(db) as store:
        assert store.count() == 0


def test_the_printed_id_range_is_the_imported_events_while_a_listener_writes(tmp_path: Path) -> None:
    source = _ndjson_of(tmp_path / "some.ndjson", 5_000)
    db = tmp_path / "t.db"
    stop = threading.Event()

    def listener_writes() -> None:  # another process's writer in real life: a second connection here
        with Store(db) as other:
            while not stop.is_set():
                other.append_sync(CapturedEvent("POST", "/live", [], b"{}"))

    writer = threading.Thread(target=listener_writes)
    Store(db).close()
    writer.start()
    try:
        result = hooktui("import", str(source), "--db", str(db))
    finally:
        stop.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    first, last = (int(n) for n in result.stdout.split(" as #")[1].split(" ")[0].replace("#", "").split("–"))
    with Store(db) as store:
        events = [store.get(n) for n in range(first, last + 1)]
        assert len(events) == 5_000 and {e.origin for e in events} == {"import"}
        assert store.count(EventFilter.parse("origin:import")) == 5_000


def test_an_imported_method_never_reaches_the_shell(tmp_path: Path) -> None:
    """A shared NDJSON file whose method is shell code: the import refuses it (and a curl line quotes whatever
    method an event has), so pasting `show --curl` can never run it."""
    from hookdeck_tui.delivery.curl import as_curl
    from hookdeck_tui.store import CapturedEvent

    bad = tmp_path / "bad.ndjson"
    bad.write_text(json.dumps({"method": "POST$(touch${IFS}pwned)", "path": "/x", "received_at": 1.0,
                               "headers": [], "body": ""}) + "\n")
    result = hooktui("import", str(bad), "--db", str(tmp_path / "i.db"))
    assert result.returncode != 0 and "is not an HTTP method" in result.stderr and "Traceback" not in result.stderr
    line = as_curl(CapturedEvent("POST$(id)", "/x", [], "\U000e0041".encode()), "http://h")
    assert line.startswith("curl -X 'POST$(id)' ")
    sent = subprocess.run(["bash", "-c", f"printf '%s' {line.split(' --data-binary ', 1)[1]}"], capture_output=True)
    assert sent.stdout == "\U000e0041".encode()  # a code point past U+FFFF survives the $'…' quoting


def test_curl_and_har_use_the_listener_that_received_the_event(tmp_path: Path) -> None:
    """`show --curl`/`--har` and `export` pointed every event at 127.0.0.1:8090 whatever port received it; a
    masked credential in a curl line says so."""
    from tests.test_listen_cli import ListenProcess

    listen = ListenProcess(tmp_path)
    import httpx

    httpx.post(f"{listen.url}/hook?x=1", content=b"{}", headers={"Authorization": "Bearer sk_test_123456"})
    code, _, err = listen.stop()
    assert code == 0, err
    db = str(listen.db)
    curl = hooktui("show", "1", "--curl", "--db", db)
    assert f"'{listen.url}/hook?x=1'" in curl.stdout
    assert curl.stdout.rstrip().endswith("# authorization masked: --with-credentials for the real value")
    har = json.loads(hooktui("show", "1", "--har", "--db", db).stdout)
    assert har["log"]["entries"][0]["request"]["url"] == f"{listen.url}/hook?x=1"
    exported = json.loads(hooktui("export", "--format", "har", "--db", db).stdout)
    assert exported["log"]["entries"][0]["request"]["url"] == f"{listen.url}/hook?x=1"
    chosen = hooktui("show", "1", "--curl", "--base-url", "https://example.test", "--db", db)
    assert "'https://example.test/hook?x=1'" in chosen.stdout
