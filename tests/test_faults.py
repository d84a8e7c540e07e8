"""Faults, with real parts: an app that is slow, down or failing (retries, the event kept, the console says so); a
store whose disk fills up (503 instead of an acknowledgement, nothing acknowledged lost, the log says why, service
resumes when there is room); a storm of callbacks for one key; ten listeners at once. (A SIGKILL under load is in
test_listen_cli.py and test_store.py; a tunnel process that dies, in test_tunnels.py.)"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from functools import partial
from pathlib import Path

import httpx
import pytest

import hookdeck_tui.store.base as store_base
from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.messages import LogLine
from hookdeck_tui.store import Store
from hookdeck_tui.tui.app import HooktuiApp
from hookdeck_tui.tui.widgets.event_list import EventList, row_segments
from hookdeck_tui.workflows.waiters import MAX_BUFFERED_PER_KEY
from tests.receiver import Receiver
from tests.test_tui import SIZE, text_of, until
from tests.waiting import wait_until


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "faults.db")
    yield store
    store.close()


async def test_a_slow_app_times_out_is_retried_and_the_console_says_so(store: Store) -> None:
    hold = asyncio.Event()  # the app never answers until the test ends
    slow = Receiver(hold=hold)
    app_url = await slow.start()
    config = (f"listener: {{type: capture, port: 0, forward: {{url: '{app_url}', timeout: 0.3, retries: 2, "
              f"backoff: 0.05}}}}\n")
    app = HooktuiApp(Console(parse_config(config, "t.yaml"), store, inspection_port=None))
    try:
        async with app.run_test(size=SIZE) as pilot:
            async with httpx.AsyncClient() as client:
                answer = await client.post(app.engine.listener_urls[0] + "/hook", content=b'{"n": 1}')
            assert answer.status_code == 200  # the sender is answered at once; the app's slowness is ours to show
            await until(pilot, lambda: getattr(store.get(1).forward, "attempts", None) == 3)
            event = store.get(1)
            assert event.body == b'{"n": 1}' and event.forward.status is None
            assert event.forward.error == "no answer within 0.3 s"
            assert [d.attempt for d in store.deliveries(1)] == [1, 2, 3]
            await until(pilot, lambda: "no answer within 0.3 s" in text_of(app, "detail-forward"))
            assert "⇢ ✗" in "".join(text for text, _ in row_segments(event))
            assert len(slow.requests) == 3
    finally:
        hold.set()
        await slow.stop()


async def test_an_app_answering_500_is_retried_and_the_last_answer_kept(store: Store) -> None:
    failing = Receiver(answers=[(500, b'{"error": "boom"}')])
    app_url = await failing.start()
    console = Console(parse_config(f"listener: {{type: capture, port: 0, forward: {{url: '{app_url}', retries: 3, "
                                   f"backoff: 0.01}}}}\n", "t.yaml"), store, inspection_port=None)
    await console.start()
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.post(console.listener_urls[0] + "/hook", content=b"{}")
        assert answer.status_code == 200
        await wait_until(lambda: getattr(store.get(1).forward, "attempts", None) == 4)
    finally:
        await console.stop()
        await failing.stop()
    assert store.get(1).forward.status == 500 and store.get(1).forward.body == '{"error": "boom"}'
    assert [d.status for d in store.deliveries(1)] == [500] * 4


async def pragma(store: Store, setting: str) -> None:
    """A PRAGMA on the connection that commits the console's writes (the writer process's)."""
    await store._writer.submit_async(partial(store_base.execute, sql=f"PRAGMA {setting}", params=()))


async def test_the_writer_process_killed_mid_burst_refuses_what_it_did_not_commit_then_comes_back(
        store: Store) -> None:
    """SIGKILL of the store's writer process during a burst: requests whose rows it had not committed are answered
    503 (not acknowledged), the log says why, a new writer process takes the next writes, and every acknowledged
    event is on disk."""
    console = Console(parse_config("listener: {type: capture, port: 0}\n", "t.yaml"), store, inspection_port=None,
                      writer_process=True)
    logs = console.bus.subscribe(kinds={LogLine})
    await console.start()
    port = console.servers[0].port
    acknowledged: list[int] = []
    statuses: list[int] = []

    async def sender(k: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for n in range(150):
                writer.write(f"POST /burst/{k}/{n} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}".encode())
                head = (await reader.readuntil(b"\r\n\r\n")).decode()
                lines = head.split("\r\n")
                fields = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
                await reader.readexactly(int(fields["content-length"]))
                statuses.append(int(lines[0].split()[1]))
                if "x-hooktui-event" in fields:
                    acknowledged.append(int(fields["x-hooktui-event"]))
        finally:
            writer.close()

    try:
        burst = asyncio.gather(*(sender(k) for k in range(8)))
        await wait_until(lambda: len(statuses) > 200)
        first = store._writer._process
        first._process.send_signal(signal.SIGSTOP)  # hold the child, so writes are surely in flight when it dies
        await wait_until(lambda: len(first._waiting) > 0)
        first._process.kill()
        await burst
        assert 503 in statuses and statuses.count(200) == len(acknowledged)
        assert store._writer._process is not first and store._writer._process.alive  # a new one took over
        assert statuses[-1] == 200
    finally:
        await console.stop()
    message = (await logs.get()).message
    assert message.level == "error" and "writer process" in message.message
    assert [store.get(i) is not None for i in acknowledged] == [True] * len(acknowledged)


async def test_a_full_disk_answers_503_loses_nothing_acknowledged_and_recovers(store: Store) -> None:
    console = Console(parse_config("listener: {type: capture, port: 0}\n", "t.yaml"), store, inspection_port=None,
                      writer_process=True)
    logs = console.bus.subscribe(kinds={LogLine})
    await console.start()
    url = console.listener_urls[0]
    acknowledged: list[int] = []
    refused = 0
    try:
        async with httpx.AsyncClient() as client:
            for n in range(5):
                response = await client.post(f"{url}/before/{n}", content=b"x" * 2000)
                acknowledged.append(int(response.headers["X-Hooktui-Event"]))
            pages = store._writer.submit(lambda c: c.execute("PRAGMA page_count").fetchone()[0]).result()
            await pragma(store, f"max_page_count = {pages}")  # the disk is full (for the writer process)
            for n in range(20):
                response = await client.post(f"{url}/full/{n}", content=b"y" * 20000)
                if response.status_code == 200:
                    acknowledged.append(int(response.headers["X-Hooktui-Event"]))
                else:
                    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
                    assert "X-Hooktui-Event" not in response.headers
                    refused += 1
            await pragma(store, "max_page_count = 1073741823")  # room again
            response = await client.post(f"{url}/after", content=b"z")
            assert response.status_code == 200
            acknowledged.append(int(response.headers["X-Hooktui-Event"]))
    finally:
        await console.stop()
    assert refused > 0
    message = (await logs.get()).message
    assert message.level == "error" and "event not stored" in message.message and "full" in message.message
    fresh = Store(store.path)
    try:
        assert [fresh.get(i) is not None for i in acknowledged] == [True] * len(acknowledged)
    finally:
        fresh.close()


CALLBACKS = """
listeners:
  - type: http-trigger
    port: 0
    path: /start
    workflow: wait
  - type: http-callback
    port: 0
    path: /cb
    identify_by: ${body.key}
    status: ${body.status}
    success_when: [done]
components:
  ask: {type: http-client, endpoint: "APP/ask", body: {key: "${input.key}"},
        completion: {type: callback, wait_for: "${input.key}"}}
workflow: {id: wait, jobs: [{id: ask, component: ask, input: {key: "${input.key}"}}]}
"""


async def test_a_callback_storm_for_one_key(store: Store) -> None:
    service = Receiver(answers=[(202, b"{}")])
    app_url = await service.start()
    console = Console(parse_config(CALLBACKS.replace("APP", app_url), "t.yaml"), store, inspection_port=None)
    await console.start()
    trigger, callback = console.listener_urls
    try:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            storm = [client.post(f"{callback}/cb", json={"key": "nobody", "status": "done"}) for _ in range(300)]
            answers = await asyncio.gather(*storm)  # nobody waits on this key: buffered, bounded
            assert {a.status_code for a in answers} == {200}
            assert console.runner.waiters.buffered_count("nobody") == MAX_BUFFERED_PER_KEY
            started = await client.post(f"{trigger}/start", json={"key": "k1"})
            run_id = started.json()["task_id"]
            await wait_until(lambda: "k1" in console.runner.waiters.waiting_keys())
            storm = [client.post(f"{callback}/cb", json={"key": "k1", "status": "working" if n % 50 else "done"})
                     for n in range(300)]
            answers = await asyncio.gather(*storm)
            assert {a.status_code for a in answers} == {200}
            await wait_until(lambda: store.runs(run_ids=[run_id])[0].status == "succeeded")
            assert (await client.get(f"{trigger}/still-up")).status_code in (404, 405)
    finally:
        await console.stop()
        await service.stop()
    assert store.count() == 300 + 1 + 300 + 1
    resumed = sqlite3.connect(store.path).execute(
        "SELECT count(*) FROM job_states WHERE run_id = ? AND state = 'resumed'", (run_id,)).fetchone()[0]
    assert resumed == 1  # one success resumes the run, once


async def test_ten_listeners_at_once(store: Store) -> None:
    config = "listeners:\n" + "".join(f"  - {{type: capture, port: 0, respond: {{status: {200 + n}}}}}\n"
                                      for n in range(10))
    console = Console(parse_config(config, "t.yaml"), store, inspection_port=None)
    await console.start()
    urls = console.listener_urls
    try:
        assert len(set(urls)) == 10
        async with httpx.AsyncClient() as client:
            answers = await asyncio.gather(*[client.post(f"{url}/n/{n}", content=str(n).encode())
                                             for n, url in enumerate(urls) for _ in range(20)])
        assert sorted({a.status_code for a in answers}) == list(range(200, 210))
    finally:
        await console.stop()
    assert store.count() == 200
    by_listener = {e.listener for e in store.page(limit=200)}
    assert by_listener == {url.removeprefix("http://") for url in urls}


async def test_the_event_list_marks_a_failed_forward(store: Store) -> None:
    dead = "http://127.0.0.1:9"
    app = HooktuiApp(Console(parse_config(f"listener: {{type: capture, port: 0, forward: '{dead}'}}\n", "t.yaml"),
                             store, inspection_port=None))
    async with app.run_test(size=SIZE) as pilot:
        async with httpx.AsyncClient() as client:
            await client.post(app.engine.listener_urls[0] + "/x", content=b"{}")
        await until(pilot, lambda: store.get(1) is not None and store.get(1).forward is not None)
        await until(pilot, lambda: "cannot connect" in text_of(app, "detail-forward"))
        assert app.query_one(EventList).window.count == 1
