"""The standing adversarial suite, against the real parts (a real Console on loopback, the real writer process,
`hooktui listen` as a process): bodies nested deep and values made huge through every route kind and the writer
process; an exception injected at each stage of the write path; consumers that stop reading, on every kind of
subscriber; and the process's memory (RSS) under a stalled event-stream client.

What each must show: every request gets an answer (a 503 + Retry-After when its event was not stored, with the
reason logged), the listener keeps serving afterwards and its admission slots come back, every body is captured
as it came, and nothing holds memory without bound."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

import hookdeck_tui.store.event_rows as event_rows_module
import hookdeck_tui.store.events as events_module
from hookdeck_tui.bounds import MAX_DEPTH
from hookdeck_tui.bus import MAX_QUEUED_BYTES, EventBus
from hookdeck_tui.commands.listen import LineWriter
from hookdeck_tui.messages import EventUpdated, LogLine
from hookdeck_tui.store import CapturedEvent, RouteMatch, Store, StoreWriteError
from hookdeck_tui.store import commit as commit_module
from hookdeck_tui.store import writer as writer_module
from hookdeck_tui.store import writer_process as writer_process_module
from hookdeck_tui.store.writer import GroupCommitWriter
from hookdeck_tui.workflows.waiters import MAX_BUFFERED_BYTES, Callback, WaiterRegistry
from tests import listener_harness as listener_tests
from tests.test_listen_cli import ListenProcess
from tests.waiting import wait_until


def nested(depth: int, inner: bytes = b"") -> bytes:
    return b"[" * depth + inner + b"]" * depth


def bomb(depth: int = 900) -> bytes:
    """The report's body: 2 KB of JSON that parses, nested 900 deep."""
    return b'{"task_id":"t","status":"ok","x":' + nested(depth) + b"}"


class Harness(listener_tests.Harness):
    """test_listener's harness, with the bus's log lines collected and no inspection endpoint unless asked."""

    async def start(self, yaml_text: str, **options: Any) -> str:
        options.setdefault("inspection_port", None)
        self.started = await self.console(yaml_text, **options)
        self.logs = self.started.bus.subscribe(kinds={LogLine})
        return self.started.listener_urls[0]

    def log_lines(self) -> list[str]:
        lines = []
        while not self.logs.queue.empty():
            lines.append(self.logs.queue.get_nowait().message.message)
        return lines


@pytest.fixture
async def harness(tmp_path: Path):
    h = Harness(tmp_path)
    yield h
    await h.close()


CALLBACK = """
listener:
  type: http-callback
  port: 0
  path: /cb
  identify_by: ${body.task_id}
  status: ${body.status}
  max_concurrent_count: 4
  queue_timeout: 3
"""


# --- deep nesting and huge values, through every route kind and the writer process -----------------------------

async def test_the_reported_bomb_is_captured_and_refused_and_its_neighbours_are_stored(harness: Harness) -> None:
    """The report: one 2 KB body nested 900 deep with 50 normal requests. It used to leave all of them unanswered
    (pickling it for the writer process raised RecursionError in a loop callback)."""
    url = await harness.start(CALLBACK)

    async def post(body: bytes) -> httpx.Response:
        return await harness.http.post(f"{url}/cb", content=body, headers={"Content-Type": "application/json"})

    answers = await asyncio.gather(post(bomb()), *(post(b'{"task_id":"n%d","status":"ok"}' % n) for n in range(50)))
    refused, normal = answers[0], answers[1:]
    assert [a.status_code for a in normal] == [200] * 50
    assert refused.status_code == 422
    assert f"the body is nested deeper than {MAX_DEPTH} levels" in refused.json()["detail"]
    stored = harness.store.get(int(refused.headers["X-Hooktui-Event"]))
    assert stored.body == bomb() and stored.response_status == 422  # captured as it came
    assert f"nested deeper than {MAX_DEPTH} levels" in stored.error
    for answer in normal:
        assert harness.store.get(int(answer.headers["X-Hooktui-Event"])).match.items[0]["outcome"] == "success"


async def test_four_bombs_do_not_keep_the_admission_slots(harness: Harness) -> None:
    """max_concurrent_count 4: four bombs used to hold the four slots for ever (every later request: 503 busy)."""
    url = await harness.start(CALLBACK)
    bombs = await asyncio.gather(*(harness.http.post(f"{url}/cb", content=bomb()) for _ in range(4)))
    assert [b.status_code for b in bombs] == [422] * 4
    after = await harness.http.post(f"{url}/cb", content=b'{"task_id":"after","status":"ok"}')
    assert after.status_code == 200
    assert harness.started.pipelines[0].gate.active == 0


ROUTES = """
listeners:
  - type: capture
    port: 0
  - type: http-callback
    port: 0
    callbacks:
      - {path: /key, identify_by: "${body.task_id}"}
      - {path: /by-query, identify_by: "${query.id}"}
      - {path: /bulk, bulk: true, item: "${body.items}", identify_by: "${item.id}"}
  - type: http-trigger
    port: 0
    triggers:
      - {path: /start, workflow: w}
      - {path: /bulk, workflow: w, bulk: true, item: "${body.items}"}
workflows:
  w: {jobs: [{component: logger, input: {message: hi}}]}
"""


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 100_000])
async def test_deep_bodies_through_every_route_kind(harness: Harness, depth: int) -> None:
    """Just over the bound, the report's 900, and deeper than json itself parses (~1,000): the capture route
    stores it; callback and trigger routes that read the body answer 422 and store it; a route that reads only
    the query still may not copy it into its match; no workflow run starts."""
    await harness.start(ROUTES)
    capture, callback, trigger = harness.started.listener_urls
    body = b'{"task_id":"t","items":[{"id":1}],"x":' + nested(depth) + b"}"
    expected = {f"{capture}/any": 200, f"{callback}/key": 422, f"{callback}/by-query?id=q": 422,
                f"{callback}/bulk": 422, f"{trigger}/start": 422, f"{trigger}/bulk": 422}
    for target, status in expected.items():
        answer = await harness.http.post(target, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == status, (target, answer.text)
        stored = harness.store.get(int(answer.headers["X-Hooktui-Event"]))
        assert stored.body == body and stored.response_status == status
        if status == 422:
            assert f"nested deeper than {MAX_DEPTH} levels" in answer.json()["detail"], target
    assert harness.store.runs() == []
    at_the_bound = b'{"task_id":"t","x":' + nested(MAX_DEPTH - 1) + b"}"
    answer = await harness.http.post(f"{callback}/key", content=at_the_bound)
    assert answer.status_code == 200  # 64 levels (the object and 63 arrays) are fine


async def test_a_bulk_body_whose_items_copy_it_is_refused_not_multiplied(harness: Harness) -> None:
    """A bulk route without `result:`/`input:` gives each item the whole body: 2,000 items of a 200 KB body would
    be a 400 MB match. The items' values are bounded to about twice the body."""
    await harness.start(ROUTES)
    _, callback, trigger = harness.started.listener_urls
    items = b",".join(b'{"id":%d}' % n for n in range(2000))
    body = b'{"pad":"' + b"p" * 200_000 + b'","items":[' + items + b"]}"
    for target in (f"{callback}/bulk", f"{trigger}/bulk"):
        answer = await harness.http.post(target, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 422 and "2000 items of this bulk body" in answer.json()["detail"], target
        stored = harness.store.get(int(answer.headers["X-Hooktui-Event"]))
        assert stored.body == body and len(event_rows_module.dumps(stored.match.to_json())) < 10_000
    small = b'{"items":[{"id":1},{"id":2}]}'
    answer = await harness.http.post(f"{callback}/bulk", content=small)
    assert answer.status_code == 200
    assert len(harness.store.get(int(answer.headers["X-Hooktui-Event"])).match.items) == 2


async def test_huge_values_are_stored_whole(harness: Harness) -> None:
    """A 5 MB string value (under the body limit) is not deep: it is read, matched and stored like any other."""
    url = await harness.start(CALLBACK)
    body = b'{"task_id":"big","status":"ok","blob":"' + b"x" * (5 * 1024 * 1024) + b'"}'
    answer = await harness.http.post(f"{url}/cb", content=body)
    assert answer.status_code == 200
    stored = harness.store.get(int(answer.headers["X-Hooktui-Event"]))
    assert stored.body == body and len(stored.match.items[0]["result"]["blob"]) == 5 * 1024 * 1024


async def test_a_deep_round_trip_callback_is_captured_and_answered(harness: Harness) -> None:
    await harness.start("listener: {type: capture, port: 0}\n", api_key="key")
    sent = CapturedEvent("POST", "/app", [], b'{"ai_response":{"data":{}}}', origin="forged")
    await harness.store.append(sent)
    await harness.store.start_round_trip("ch_deep", sent.id, 30)
    body = b'{"task_id":"t","metadata":{},"data":{"x":' + nested(5000) + b"}}"
    answer = await harness.http.post(f"{harness.started.listener_urls[0]}/_hooktui/callback/ch_deep", content=body,
                                     headers={"Authorization": "Bearer key"})
    assert answer.status_code == 400
    assert answer.json()["problems"] == [f"the body is nested deeper than {MAX_DEPTH} levels"]
    assert harness.store.get(int(answer.headers["X-Hooktui-Event"])).body == body


async def test_the_writer_process_refuses_only_the_value_it_cannot_take(tmp_path: Path) -> None:
    """Below the listener's bounds: a value too deep to pickle, handed to the writer process with 20 others in
    the same turn, fails alone (StoreWriteError); the others are committed."""
    store = Store(tmp_path / "w.db")
    try:
        store.start_writer_process()
        deep: Any = []
        for _ in range(5000):
            deep = [deep]
        events = [CapturedEvent("POST", f"/{n}", [], b"{}") for n in range(21)]
        events[7].match = RouteMatch("callback", [{"x": deep}])
        outcomes = await asyncio.wait_for(asyncio.gather(*(store.append(e) for e in events),
                                                         return_exceptions=True), 20)
        assert isinstance(outcomes[7], StoreWriteError) and "RecursionError" in str(outcomes[7])
        ids = [o for n, o in enumerate(outcomes) if n != 7]
        assert [store.get(i).path for i in ids] == [f"/{n}" for n in range(21) if n != 7]
    finally:
        store.close()


# --- an exception injected at each stage of the write path ----------------------------------------------------

class Injection:
    """Makes `target` raise once, when armed, then behave as before."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, *, when=lambda *a, **k: True) -> None:
        self.original = getattr(owner, name)
        self.armed = True
        self.fired = 0
        self.when = when

        def injected(*args: Any, **kwargs: Any) -> Any:
            if self.armed and self.when(*args, **kwargs):
                self.armed = False
                self.fired += 1
                raise RuntimeError("injected failure")
            return self.original(*args, **kwargs)

        monkeypatch.setattr(owner, name, injected)


class Exit:
    """Unpickled in the writer process, it ends that process (a crash inside the child)."""

    def __reduce__(self):
        return os._exit, (3,)


class Poison:
    """The first event's stored values carry `meta` in place of its own: something that fails inside the writer
    process — a row it cannot encode, or a value that ends it when it is unpickled."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, meta: dict) -> None:
        original = events_module.event_values
        self.armed = True
        self.fired = 0

        def values(event: CapturedEvent) -> tuple:
            row = original(event)
            if not self.armed:
                return row
            self.armed = False
            self.fired += 1
            return (*row[:-1], meta)

        monkeypatch.setattr(events_module, "event_values", values)


STAGES = {
    # stage: (in a writer process?, how to inject, must a request be refused?, what the log says)
    "building the record": (True, lambda mp: Injection(mp, events_module, "event_values"), True, "injected"),
    "building the row in process": (False, lambda mp: Injection(mp, events_module, "event_row"), True, "injected"),
    "encoding JSON in process": (False, lambda mp: Injection(mp, event_rows_module, "dumps"), True, "injected"),
    "choosing the writer": (True, lambda mp: Injection(mp, GroupCommitWriter, "_process_for"), True, "injected"),
    "pickling for the writer process": (True, lambda mp: Injection(mp, writer_process_module, "_frame"), False, ""),
    "the pipe write": (True, lambda mp: Injection(mp, writer_process_module.os, "write",
                                                  when=lambda fd, data: len(data) > 100), True, "injected"),
    "the child's commit": (True, lambda mp: Poison(mp, {"n": 10 ** 5000}), True, "4300"),
    "the child dying": (True, lambda mp: Poison(mp, {"exit": Exit()}), True, "writer process stopped"),
    "reading the acknowledgement": (True, lambda mp: Injection(mp, writer_process_module, "_take_frames"), True,
                                    "injected"),
    "the in-process commit": (False, lambda mp: Injection(mp, writer_module, "commit_batch"), True, "injected"),
    "resolving futures in process": (False, lambda mp: Injection(mp, commit_module, "_settle"), True, "injected"),
    "resolving acknowledged futures": (True, lambda mp: Injection(mp, commit_module, "_settle"), True, "injected"),
}


@pytest.mark.parametrize("stage", list(STAGES))
async def test_an_exception_at_each_write_stage_answers_every_request(harness: Harness, stage: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    in_child, inject, refuses, reason = STAGES[stage]
    url = await harness.start("listener: {type: capture, port: 0, max_concurrent_count: 4, queue_timeout: 3}\n",
                              writer_process=in_child)
    await harness.http.post(f"{url}/warm-up", content=b"{}")  # the writer process is up
    injection = inject(monkeypatch)

    async def post(path: str) -> httpx.Response:
        return await harness.http.post(f"{url}/{path}", content=b'{"n": 1}')

    burst = await asyncio.gather(*(post(f"burst/{n}") for n in range(24)))
    statuses = [answer.status_code for answer in burst]
    assert set(statuses) <= {200, 503}, statuses
    refused = [answer for answer in burst if answer.status_code == 503]
    assert injection.fired == 1
    if refuses:
        assert refused, "the injected failure refused nobody"
    for answer in refused:
        assert answer.headers["Retry-After"] == "1" and "X-Hooktui-Event" not in answer.headers
    logged = [line for line in harness.log_lines() if line.startswith("event not stored")]
    assert len(logged) == len(refused), logged
    assert all(reason in line for line in logged), logged
    injection.armed = False
    after = await asyncio.gather(*(post(f"after/{n}") for n in range(12)))  # more than the 4 slots at once
    assert [answer.status_code for answer in after] == [200] * 12
    assert harness.started.pipelines[0].gate.active == 0
    for answer in [a for a in burst if a.status_code == 200] + after:
        assert harness.store.get(int(answer.headers["X-Hooktui-Event"])) is not None


@pytest.mark.parametrize("in_child", [False, True])
async def test_a_failure_to_record_the_match_after_the_commit_still_answers(harness: Harness, in_child: bool,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A callback route stores its event (with its match), hands the match over, then records what the hand-off
    did (a second write). When that one fails, the event is already on disk: the sender gets the route's answer,
    and the log says what was not recorded."""
    url = await harness.start(CALLBACK, writer_process=in_child)
    await harness.http.post(f"{url}/cb", content=b'{"task_id":"warm","status":"ok"}')
    if in_child:  # the update fails while it is being built, before the writer process sees it
        injection = Injection(monkeypatch, events_module, "partial")
    else:  # the update fails in the in-process commit
        injection = Injection(monkeypatch, events_module, "update_columns")
    answers = await asyncio.gather(*(harness.http.post(f"{url}/cb", content=b'{"task_id":"k%d","status":"ok"}' % n)
                                     for n in range(8)))
    assert injection.fired == 1
    assert [answer.status_code for answer in answers] == [200] * 8
    assert any(line.startswith("match not stored") for line in harness.log_lines())
    matches = [harness.store.get(int(a.headers["X-Hooktui-Event"])).match for a in answers]
    assert all(match.items[0]["outcome"] == "success" for match in matches)  # stored with the event
    assert len([match for match in matches if match.engine is None]) == 1  # the hand-off's result, not recorded


# --- consumers that stop reading, on every subscriber -----------------------------------------------------------

def test_a_subscriber_that_does_not_read_keeps_at_most_its_bytes() -> None:
    """The console's and `hooktui run`'s subscriptions (drained each frame): 100 events of 1 MB published while
    it does not read — it keeps what fits in its bytes, and is told how many it lost."""
    async def scenario() -> None:
        bus = EventBus()
        subscription = bus.subscribe(kinds={EventUpdated})
        for n in range(100):
            bus.publish(EventUpdated(CapturedEvent("POST", f"/{n}", [], bytes(1024 * 1024))))
        held = subscription.queue.qsize()
        assert 0 < held <= MAX_QUEUED_BYTES // (1024 * 1024)
        kept = [subscription.queue.get_nowait() for _ in range(held)]
        assert sum(queued.dropped_before for queued in kept) == 100 - held
        assert [queued.message.event.path for queued in kept] == [f"/{n}" for n in range(100 - held, 100)]
    asyncio.run(scenario())


def test_callbacks_nobody_waits_for_are_kept_within_their_bytes() -> None:
    """The workflow engine keeps a callback for a key no run waits on yet (60 s): 300 callbacks of 1 MB, each for
    a key of its own, used to be kept whole (300 MB); the oldest are let go beyond 64 MB, and the event says so."""
    registry = WaiterRegistry()
    blob = "x" * (1024 * 1024)
    answers = [registry.deliver(f"key-{n}", Callback("success", "ok", {"blob": blob}, n)) for n in range(300)]
    kept = [n for n in range(300) if registry.buffered_count(f"key-{n}")]
    assert 0 < len(kept) <= MAX_BUFFERED_BYTES // len(blob)
    assert kept == list(range(300 - len(kept), 300))  # the newest
    assert "oldest buffered callbacks were let go" in answers[-1]["reason"]
    waiter = registry.register("key-299", "run_1", "job")  # still handed over when its run comes
    assert waiter.updates.get_nowait().result == {"blob": blob}


async def test_a_stalled_event_stream_client_is_dropped_with_a_note(harness: Harness) -> None:
    """A client of the SSE endpoint that stops reading while 40 MB of messages go by: its subscription is dropped
    (not kept growing), and what it reads next is a note saying so, then the end of the stream."""
    await harness.start("listener: {type: capture, port: 0}\n", inspection_port=0)
    inspection = harness.started.inspection
    before = len(harness.started.bus._subscriptions)
    reader, writer = await _stalled_stream(harness.started.inspection_server.port, inspection.token)
    await wait_until(lambda: len(harness.started.bus._subscriptions) == before + 1)
    for n in range(4000):
        harness.started.bus.publish(LogLine("info", f"{n} " + "m" * 10_000))
    assert len(harness.started.bus._subscriptions) == before
    text = (await asyncio.wait_for(reader.read(), 20)).decode()  # to the end of the stream
    writer.close()
    assert text.endswith("\r\n0\r\n\r\n")  # the server ended the stream
    assert "event: dropped" in text and "fell behind" in text
    assert text.count("event: log") < 4000


def test_listen_with_an_unread_stdout_keeps_at_most_its_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """`hooktui listen` prints on a thread; a stdout nobody reads (a pipe) blocks that thread. What waits for it is
    bounded in bytes, not only in batches (1 MB lines, 1,000 batches: 1 GB)."""
    read_end, write_end = os.pipe()
    stalled = os.fdopen(write_end, "w")
    monkeypatch.setattr(sys, "stdout", stalled)

    async def scenario() -> LineWriter:
        writer = LineWriter()
        for n in range(60):
            writer.write(f"{n}" + "x" * 1024 * 1024)
            writer.flush()
            await asyncio.sleep(0)
        return writer
    writer = asyncio.run(scenario())
    try:
        waiting = sum(len(line) for batch in list(writer._batches.queue) for line, _ in batch)
        assert waiting <= 16 * 1024 * 1024  # (and one more line, in the blocked write)
        assert writer.dropped >= 40
    finally:
        os.close(read_end)  # the blocked write fails; the thread ends
        writer._batches.put(None)
        writer._thread.join(timeout=10)
        try:
            stalled.close()
        except OSError:
            pass


# --- memory: RSS of `hooktui listen` with a stalled event-stream client ----------------------------------------

EVENTS_FOR_RSS = 200
RSS_LIMIT_MB = 300


def test_rss_stays_bounded_with_a_stalled_event_stream_client(tmp_path: Path) -> None:
    """200 callbacks of 1 MB (each one's match holds its body, so each summary on the stream is 1 MB too) while an
    SSE client reads nothing: the stream used to keep every event, body and all, for it (2,000 events took the
    process to 1.98 GB); now it keeps at most its bytes of encoded frames, then drops the client. RSS < 300 MB."""
    config = tmp_path / "callback.yaml"
    config.write_text("listener: {type: http-callback, port: 0, path: /cb, identify_by: '${body.task_id}'}\n")
    listen = ListenProcess(tmp_path, "-c", str(config), stdout=subprocess.DEVNULL)
    try:
        stream_url = next(line for line in listen.startup if line.startswith("event stream (SSE):")).split()[-1]
        port, token = re.match(r"http://127\.0\.0\.1:(\d+)/events\?token=(.+)", stream_url).groups()
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a reader that stalls at once
        client.connect(("127.0.0.1", int(port)))
        client.sendall(f"GET /events?token={token} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert b"200" in client.recv(12)  # subscribed; from here on it reads nothing
        sent = [0]

        def send(first: int, count: int) -> None:
            with httpx.Client(timeout=30) as http:
                for n in range(first, first + count):
                    body = b'{"task_id":"t%d","blob":"%s"}' % (n, b"x" * (1024 * 1024))
                    assert http.post(f"{listen.url}/cb", content=body).status_code == 200
                    sent[0] += 1
        share = EVENTS_FOR_RSS // 4
        senders = [threading.Thread(target=send, args=(k * share, share)) for k in range(4)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join()
        assert sent[0] == EVENTS_FOR_RSS
        rss = _rss_mb(listen.process.pid)
        client.close()
    finally:
        listen.process.kill()
        listen.process.wait(timeout=30)
    print(f"RSS {rss:.0f} MB")
    assert rss < RSS_LIMIT_MB, f"RSS {rss:.0f} MB after {EVENTS_FOR_RSS} events of 1 MB"


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


async def _stalled_stream(port: int, token: str):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    writer.write(f"GET /events?token={token} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    assert b"200" in await reader.readuntil(b"\r\n")
    return reader, writer

