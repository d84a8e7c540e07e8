"""Odd but legal HTTP against a real listener: a request target of `*`, pipelined requests from a client that
hangs up, spoofed X-Forwarded-* headers, an expression whose result no JSON can hold. Each is captured and
answered (or dropped quietly when nobody is left to answer), never a traceback."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from hookdeck_tui.store import Store
from tests.listener_harness import Harness
from tests.receiver import Receiver
from tests.test_listen_cli import ListenProcess
from tests.test_listener import _wait_for


@pytest.fixture
async def harness(tmp_path: Path):
    h = Harness(tmp_path)
    yield h
    await h.close()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


async def _raw(url: str, data: bytes) -> bytes:
    """Send bytes as they are (httpx cannot send `OPTIONS *`) and read the answer until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(url))
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(65536), 10)
    writer.close()
    return answer


@pytest.mark.parametrize("respond", ["", ", respond: app"])
async def test_options_star_is_captured_and_its_forward_fails_with_a_reason(harness: Harness, respond: str) -> None:
    receiver = Receiver()
    app = await receiver.start()
    try:
        console = await harness.console(f"listener: {{type: capture, port: 0, forward: '{app}'{respond}}}\n")
        answer = await _raw(console.listener_urls[0], b"OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        status = int(answer.split(b" ", 2)[1])
        assert status == (502 if respond else 200), answer
        event_id = int(answer.lower().split(b"x-hooktui-event: ")[1].split(b"\r\n")[0])
        event = await _wait_for(harness.store, event_id, lambda e: e.forward is not None)
        assert (event.method, event.path) == ("OPTIONS", "*")
        assert event.forward.status is None and "cannot forward to this URL" in event.forward.error
        assert receiver.requests == []
    finally:
        await receiver.stop()


def test_pipelined_requests_from_a_client_that_hangs_up_print_no_error(tmp_path: Path) -> None:
    """uvicorn marked only the newest pipelined request disconnected; answering an older one wrote to a closed
    transport, and uvloop (what `listen` runs on) raised: "Exception in ASGI application" on stderr."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"  # bound, not listening: forwarding fails at once
    listen = ListenProcess(tmp_path, "--forward-to", dead)
    try:
        request = b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", _port(listen.url))) as client:
                client.sendall(request * 3 + b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        with socket.create_connection(("127.0.0.1", _port(listen.url))) as client:  # the last one waits
            client.sendall(b"OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        code, out, err = listen.stop()
    assert code == 0
    assert "Exception in ASGI application" not in err and "Traceback" not in err and "error" not in err.lower(), err
    options = [line for line in out.splitlines() if "OPTIONS" in line]
    assert options and all(" 200  * " in line and "cannot forward to this URL" in line for line in options), out
    with Store(listen.db) as store:
        assert store.count() >= 21  # at least the first request of each connection, and the last


@pytest.mark.parametrize(("trusted", "expected"), [("", "127.0.0.1"), (", trusted_proxies: ['127.0.0.1']",
                                                                       "203.0.113.9")])
async def test_forwarded_headers_count_only_from_trusted_proxies(harness: Harness, trusted: str,
                                                                 expected: str) -> None:
    console = await harness.console(f"listener: {{type: capture, port: 0{trusted}}}\n")
    response = await harness.http.post(console.listener_urls[0] + "/x", content=b"{}",
                                       headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    event = harness.store.get(int(response.headers["X-Hooktui-Event"]))
    assert event.remote_addr.split(":")[0] == expected
    assert ("X-Forwarded-For", "203.0.113.9") in [(k.title(), v) for k, v in event.headers]  # kept as sent


async def test_an_expression_result_too_large_to_store_is_422_and_recorded(harness: Harness) -> None:
    config = """
listener: {type: http-callback, port: 0, path: /cb, identify_by: "${body.id}", result: "${body.n * body.n}"}
"""
    console = await harness.console(config)
    n = 10 ** 2500  # JSON (and Python) hold it; its square has 5,001 digits, past the 4,300 Python converts
    response = await harness.http.post(console.listener_urls[0] + "/cb",
                                       content=json.dumps({"id": "k", "n": n}).encode(),
                                       headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert "more than 4,000 digits" in response.json()["detail"]
    event = harness.store.get(int(response.headers["X-Hooktui-Event"]))
    assert event.response_status == 422 and "arithmetic overflow" in event.error
