"""What used to travel as text in an event's `listener` label — whether hooktui sent the request (`→ url`) and which
listener received it (`host:port`) — is stored as fields: the tally, the `sent:` filter, `show --curl`/HAR and the
replay's route choice read the fields, and an older store gets them from its labels once, when it is opened."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.delivery.outbound import new_client, send_and_record
from hookdeck_tui.delivery.replay import forward_url
from hookdeck_tui.delivery.request import Outgoing
from hookdeck_tui.listener.address import first_listener_url
from hookdeck_tui.store import CapturedEvent, EventFilter, Store
from hookdeck_tui.store.exchange import event_origin
from hookdeck_tui.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.receiver import Receiver

CALLBACK_ELSEWHERE = """
listener:
  type: http-callback
  port: 0
  callbacks: [{path: /elsewhere, identify_by: "${body.task_id}", status: "${body.status}"}]
"""


def hooktui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], capture_output=True, text=True,
                          env=os.environ, timeout=60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


async def capture_and_send(db: Path, path: str) -> tuple[str, str]:
    """A request received by a real listener on `path`, then one hooktui sends to a real receiver on the same
    path; (the listener's URL, the receiver's)."""
    receiver = Receiver()
    target = await receiver.start()
    with Store(db) as store:
        config = parse_config(CALLBACK_ELSEWHERE, "t.yaml")
        console = Console(config, store, inspection_port=None)
        await console.start()
        try:
            listener = console.listener_urls[0]
            async with httpx.AsyncClient() as client:
                await client.post(f"{listener}{path}", content=b"{}")
            async with new_client() as client:
                await send_and_record(store, client, Outgoing("POST", f"{target}{path}", [], b"{}"), origin="forged")
        finally:
            await console.stop()
            await receiver.stop()
    return listener, target


async def test_what_hooktui_sent_is_a_field_the_tally_and_the_filter_read(tmp_path: Path) -> None:
    """Neither request has a route; only the one that came in counts as unmatched. `sent:yes` / `sent:no` pick
    them apart (the old store could only tell them by the label's first character, and had no such filter)."""
    db = tmp_path / "s.db"
    _, target = await capture_and_send(db, "/→/hook")  # an arrow in the path is just a path
    with Store(db) as store:
        received, sent = store.get(1), store.get(2)
        assert (received.sent, sent.sent) == (False, True)
        assert sent.listener == f"→ {target}"  # still shown as before
        assert store.tally(2) == {"total": 2, "valid": 0, "invalid": 0, "unmatched": 1}
        assert [e.id for e in store.page(filters=EventFilter.parse("sent:yes"))] == [2]
        assert [e.id for e in store.page(filters=EventFilter.parse("sent:no"))] == [1]
    listed = hooktui("events", "--filter", "sent:yes", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    assert line.startswith("#2 ") and line.endswith(f"→ {target}")
    refused = hooktui("events", "--filter", "sent:maybe", "--db", str(db))
    assert refused.returncode == 2 and "sent:maybe — yes" in refused.stderr and "Traceback" not in refused.stderr


async def test_a_sent_event_exports_with_the_url_it_was_sent_to(tmp_path: Path) -> None:
    """`show --curl`, `show --har` and `export` read the sent event's target from its fields; parsing its label
    `→ http://127.0.0.1:PORT` as `host:port` made `http://→ http:PORT`."""
    db = tmp_path / "s.db"
    listener, target = await capture_and_send(db, "/hook")
    curl = hooktui("show", "2", "--curl", "--db", str(db))
    assert curl.returncode == 0, curl.stderr
    assert f"{target}/hook" in curl.stdout.replace("'", "").split()
    har = json.loads(hooktui("show", "2", "--har", "--db", str(db)).stdout)
    assert har["log"]["entries"][0]["request"]["url"] == f"{target}/hook"
    exported = json.loads(hooktui("export", "--format", "har", "--db", str(db)).stdout)
    assert [entry["request"]["url"] for entry in exported["log"]["entries"]] == [f"{listener}/hook",
                                                                                 f"{target}/hook"]


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback here")
async def test_a_listener_on_an_ipv6_host_stores_its_host_and_port(tmp_path: Path) -> None:
    db = tmp_path / "v6.db"
    with Store(db) as store:
        console = Console(parse_config("listener: {type: capture, host: '::1', port: 0}\n", "t.yaml"), store,
                          inspection_port=None)
        await console.start()
        try:
            port = console.servers[0].port
            async with httpx.AsyncClient() as client:
                answer = await client.post(f"http://[::1]:{port}/hook", content=b"{}")
            assert answer.status_code == 200
        finally:
            await console.stop()
        event = store.get(1)
        assert (event.listener_host, event.listener_port, event.sent) == ("::1", port, False)
        assert event.listener == f"::1:{port}"
    curl = hooktui("show", "1", "--curl", "--db", str(db))
    assert f"http://[::1]:{port}/hook" in curl.stdout.replace("'", "").split()  # the label gave `http://::1:PORT`


def test_a_replay_takes_the_route_of_the_listener_whose_port_received_the_event() -> None:
    """Two listeners that take the same path: the route of the one that received the event comes first, found by its
    port field. A request hooktui sent was received by no listener: its URL's port means nothing here (the label
    `→ http://127.0.0.1:PORT` was taken for the listener on PORT)."""
    first, second = free_port(), free_port()
    config = parse_config(f"""
listeners:
  - {{type: capture, port: {first}, forward: "http://127.0.0.1:4001"}}
  - {{type: capture, port: {second}, forward: "http://127.0.0.1:4002"}}
""", "two.yaml")
    on_second = CapturedEvent("POST", "/hook", [], b"{}", listener=f"127.0.0.1:{second}", listener_host="127.0.0.1",
                              listener_port=second)
    on_first = CapturedEvent("POST", "/hook", [], b"{}", listener=f"127.0.0.1:{first}", listener_host="127.0.0.1",
                             listener_port=first)
    sent = CapturedEvent("POST", "/hook", [], b"{}", listener=f"→ http://127.0.0.1:{second}", sent=True)
    assert forward_url(config, on_second) == "http://127.0.0.1:4002/hook"
    assert forward_url(config, on_first) == "http://127.0.0.1:4001/hook"
    assert forward_url(config, sent) == "http://127.0.0.1:4001/hook"  # no preference: the configured order


def test_an_older_store_gets_the_fields_from_its_labels(tmp_path: Path) -> None:
    """A version-2 store (labels only) opens: sends are marked sent, listeners' labels become host and port —
    IPv6 hosts included; a row without a `host:port` label has no listener."""
    db = tmp_path / "v2.db"
    connection = sqlite3.connect(db, isolation_level=None)
    for version, script in enumerate(MIGRATIONS[:2], start=1):
        connection.executescript(f"BEGIN; {script} PRAGMA user_version = {version}; COMMIT;")
    rows = [("127.0.0.1:8090", "external", None), ("::1:9001", "external", None),
            ("→ http://127.0.0.1:4000", "forged", '{"sent_to": "http://127.0.0.1:4000/hook"}'),
            ("10.0.0.5:8090", "import", None), ("", "external", None)]
    for listener, origin, meta in rows:
        connection.execute("INSERT INTO events (received_at, listener, method, path, headers, body, body_size, "
                           "origin, meta) VALUES (1.0, ?, 'POST', '/hook', '[]', X'', 0, ?, ?)",
                           (listener, origin, meta))
    connection.close()
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        found = [(e.sent, e.listener_host, e.listener_port) for e in reversed(store.page())]
        assert found == [(False, "127.0.0.1", 8090), (False, "::1", 9001), (True, None, None),
                         (False, "10.0.0.5", 8090), (False, None, None)]
        assert store.tally(5)["unmatched"] == 4  # the send is not a request that came in


def test_an_import_whose_match_or_forward_has_the_wrong_shape_is_refused_whole(tmp_path: Path) -> None:
    """`match` and `forward` are read into their types at the store's edge: a file where one is not an object
    says which line, and stores nothing (it used to be stored as it was, for the views to trip over later)."""
    good = {"method": "POST", "path": "/a", "received_at": 1.0, "headers": [], "body": "{}",
            "forward": {"url": "http://127.0.0.1:4000/a", "status": 200, "latency_ms": 2.5, "attempts": 1,
                        "error": None, "headers": [["X-A", "1"]], "body_size": 2, "truncated": False, "body": "ok"},
            "match": {"kind": "trigger", "workflow": "ci", "runs": [{"workflow": "ci", "input": {}}],
                      "engine": [{"run_id": "run_1"}]}}
    for field, wrong in (("forward", "200 OK"), ("match", ["callback"])):
        source = tmp_path / f"{field}.ndjson"
        source.write_text(json.dumps(good) + "\n" + json.dumps({**good, field: wrong}) + "\n")
        db = tmp_path / f"{field}.db"
        refused = hooktui("import", str(source), "--db", str(db))
        assert refused.returncode != 0 and f"{source}:2: a field has the wrong shape" in refused.stderr
        assert "Traceback" not in refused.stderr
        with Store(db) as store:
            assert store.count() == 0
    source = tmp_path / "good.ndjson"
    source.write_text(json.dumps(good) + "\n")
    assert hooktui("import", str(source), "--db", str(tmp_path / "good.db")).returncode == 0
    with Store(tmp_path / "good.db") as store:
        imported = store.get(1)
    assert imported.forward.headers == [("X-A", "1")] and imported.forward.latency_ms == 2.5
    assert imported.match.run_ids == ["run_1"] and imported.match.to_json() == good["match"]
    assert imported.to_json()["forward"] == good["forward"]  # the JSON form is the one that came in


def test_an_imported_event_keeps_the_listener_its_file_names(tmp_path: Path) -> None:
    """The file formats carry the listener only as its `host:port` label: an import reads host and port from it,
    so a re-export points where the original did; a sent event (`meta.sent_to`) stays a sent one."""
    lines = [{"method": "POST", "path": "/in", "received_at": 1.0, "headers": [], "body": "{}",
              "listener": "::1:9001"},
             {"method": "POST", "path": "/out", "received_at": 2.0, "headers": [], "body": "{}",
              "listener": "→ http://127.0.0.1:4000", "origin": "forged",
              "meta": {"sent_to": "http://127.0.0.1:4000/out"}}]
    source = tmp_path / "in.ndjson"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    db = tmp_path / "i.db"
    assert hooktui("import", str(source), "--db", str(db)).returncode == 0
    with Store(db) as store:
        received, sent = store.get(1), store.get(2)
        assert (received.listener_host, received.listener_port, received.sent) == ("::1", 9001, False)
        assert (sent.listener_host, sent.listener_port, sent.sent) == (None, None, True)
        assert store.tally(2)["unmatched"] == 1
    exported = json.loads(hooktui("export", "--format", "har", "--db", str(db)).stdout)
    assert [entry["request"]["url"] for entry in exported["log"]["entries"]] == ["http://[::1]:9001/in",
                                                                                 "http://127.0.0.1:4000/out"]


@pytest.mark.parametrize(("host", "url"), [("::1", "http://[::1]:8091"), ("::", "http://[::1]:8091"),
                                           ("0.0.0.0", "http://127.0.0.1:8091"), ("10.0.0.5", "http://10.0.0.5:8091")])
def test_a_command_and_a_stored_event_name_a_listener_by_the_same_url(host: str, url: str) -> None:
    """What `send` and `probe` send to (the config's first listener) and where a captured event's curl line and
    HAR entry point (the listener it came in on) are one URL; an IPv6 host is in brackets."""
    config = parse_config(f"listener: {{type: capture, host: '{host}', port: 8091}}\n", "t.yaml")
    event = CapturedEvent("POST", "/hook", [], b"{}", listener_host=host, listener_port=8091)
    assert first_listener_url(config) == url == event_origin(event)
