"""The listener engine against real parts: a real Console with real Uvicorn servers on ephemeral loopback ports,
real HTTP through httpx, a real receiver app for forwarding, and the real SQLite store."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3

import pytest

from hookdeck_tui.console import PortInUse, VerifyDefaults
from hookdeck_tui.signatures import sign_body
from hookdeck_tui.store import Store
from tests.listener_harness import Harness
from tests.receiver import Receiver
from tests.waiting import wait_until

CAPTURE = "listener: {type: capture, port: 0}\n"


async def test_capture_keeps_every_byte_and_answers_after_commit(harness: Harness) -> None:
    console = await harness.console(CAPTURE)
    url = console.listener_urls[0]
    body = b'{"type": "task.ai_generated"}\n'
    response = await harness.http.post(f"{url}/webhooks/modelriver?a=1&a=2&b=%20x", content=body,
                                       headers=[("X-Dup", "1"), ("X-Dup", "2"), ("Content-Type", "application/json")])
    assert response.status_code == 200 and response.json() == {"received": True}
    event_id = int(response.headers["X-Hooktui-Event"])
    event = harness.store.get(event_id)  # committed before the answer: readable at once
    assert event.body == body
    assert (event.method, event.path, event.query) == ("POST", "/webhooks/modelriver", "a=1&a=2&b=%20x")
    assert [v for k, v in event.headers if k == "x-dup"] == ["1", "2"]
    assert event.response_status == 200 and event.route == "capture * /"
    assert event.remote_addr.startswith("127.0.0.1:")
    assert event.signature.status == "unchecked"


async def test_keep_alive_answers_are_not_held_back_by_nagle(harness: Harness) -> None:
    """The server's end of every connection has TCP_NODELAY: without it, a keep-alive sender got each response
    body after the first ~40 ms late (headers and body go out as two writes; Nagle waits for a delayed ACK)."""
    console = await harness.console(CAPTURE)
    reader, writer = await asyncio.open_connection("127.0.0.1", console.servers[0].port)
    try:
        for _ in range(2):
            writer.write(b"POST /keep HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            await reader.readexactly(int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0]))
        connections = console.servers[0]._server.server_state.connections
        sockets = [c.transport.get_extra_info("socket") for c in connections]
        assert sockets and all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets)
    finally:
        writer.close()
    assert harness.store.count() == 2


@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"broken": ', "application/json"),
    (b"a=1&b=%E2%9C%93&b=2", "application/x-www-form-urlencoded"),
    (bytes(range(256)), "application/octet-stream"),
    ("caf\u00e9".encode("latin-1"), "text/plain; charset=latin-1"),
    (b"", "application/json"),
])
async def test_bad_bodies_are_captured_exactly(harness: Harness, body: bytes, content_type: str) -> None:
    console = await harness.console(CAPTURE)
    response = await harness.http.put(f"{console.listener_urls[0]}/in", content=body,
                                      headers={"Content-Type": content_type})
    assert response.status_code == 200
    assert harness.store.get(int(response.headers["X-Hooktui-Event"])).body == body


async def test_body_over_the_limit_is_413_and_recorded(harness: Harness) -> None:
    console = await harness.console("listener: {type: capture, port: 0, max_body_size: 1000}\n")
    url = console.listener_urls[0]
    declared = await harness.http.post(f"{url}/big", content=b"x" * 5000)
    assert declared.status_code == 413

    async def chunks():
        for _ in range(10):
            yield b"y" * 300

    streamed = await harness.http.post(f"{url}/big", content=chunks())  # chunked: no Content-Length
    assert streamed.status_code == 413
    first, second = (harness.store.get(int(r.headers["X-Hooktui-Event"])) for r in (declared, streamed))
    assert first.response_status == 413 and "over the 1000 bytes limit" in first.error
    assert second.body.startswith(b"y" * 900) and len(second.body) <= 1200


CALLBACKS = """
listener:
  type: http-callback
  port: 0
  base_path: /webhooks
  callbacks:
    - path: /image/completed
      identify_by: ${body.task_id}
      status: ${body.status}
      success_when: [completed]
      fail_when: [failed]
      result: {url: "${body.output.url}", width: "${body.output.width}"}
    - path: /batch
      bulk: true
      item: ${body.results}
      identify_by: ${item.task_id}
      result: ${item.data}
    - path: /by-query
      method: PUT
      identify_by: ${query.task_id}
"""


async def test_callback_routes_record_their_match(harness: Harness) -> None:
    url = (await harness.console(CALLBACKS)).listener_urls[0]
    cases = [
        ({"task_id": "t1", "status": "completed", "output": {"url": "u", "width": 5}}, "success"),
        ({"task_id": "t2", "status": "failed"}, "failed"),
        ({"task_id": "t3", "status": "running"}, "progress"),
    ]
    for payload, outcome in cases:
        response = await harness.http.post(f"{url}/webhooks/image/completed", json=payload)
        assert response.status_code == 200
        event = harness.store.get(int(response.headers["X-Hooktui-Event"]))
        (item,) = event.match.items
        assert (item["key"], item["status"], item["outcome"]) == (payload["task_id"], payload["status"], outcome)
        delivery = event.match.engine[0]
        assert (delivery["delivered"], delivery["buffered"]) == (False, True)  # no run waits: kept for one
        assert delivery["reason"] == f"no waiter for `{payload['task_id']}` yet: kept 60 s for a run that registers"
    first = harness.store.page(after=0, limit=1, include_body=True)[0]
    assert first.match.items[0]["result"] == {"url": "u", "width": 5}
    assert first.route == "callback POST /webhooks/image/completed"

    bulk = await harness.http.post(f"{url}/webhooks/batch", json={"results": [
        {"task_id": "a", "data": {"n": 1}}, {"task_id": "b", "data": {"n": 2}}]})
    event = harness.store.get(int(bulk.headers["X-Hooktui-Event"]))
    assert [(i["key"], i["result"]) for i in event.match.items] == [("a", {"n": 1}), ("b", {"n": 2})]

    by_query = await harness.http.put(f"{url}/webhooks/by-query?task_id=q9", content=b"not json")
    event = harness.store.get(int(by_query.headers["X-Hooktui-Event"]))
    assert event.match.items[0]["key"] == "q9"


async def test_unmatched_wrong_method_and_unparsable_body(harness: Harness) -> None:
    url = (await harness.console(CALLBACKS)).listener_urls[0]
    missing = await harness.http.post(f"{url}/webhooks/nope", json={})
    assert missing.status_code == 404
    wrong = await harness.http.get(f"{url}/webhooks/by-query")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "PUT"
    broken = await harness.http.post(f"{url}/webhooks/image/completed", content=b"{not json",
                                     headers={"Content-Type": "application/json"})
    assert broken.status_code == 422
    assert "the body is not JSON" in broken.json()["detail"]
    events = {e.id: e for e in harness.store.page(limit=10, include_body=True)}
    assert events[int(missing.headers["X-Hooktui-Event"])].error == "no route for POST /webhooks/nope"
    assert "allowed: PUT" in events[int(wrong.headers["X-Hooktui-Event"])].error
    broken_event = events[int(broken.headers["X-Hooktui-Event"])]
    assert broken_event.body == b"{not json"
    assert broken_event.error.startswith("test.yaml:8:20: listener.callbacks[0].identify_by: `body` could not be "
                                         "read: the body is not JSON")
    assert broken_event.error.endswith("(in `${body.task_id}`)")


async def test_bulk_item_that_is_not_a_list_is_a_per_event_error(harness: Harness) -> None:
    url = (await harness.console(CALLBACKS)).listener_urls[0]
    response = await harness.http.post(f"{url}/webhooks/batch", json={"results": {"not": "a list"}})
    assert response.status_code == 422 and "must give a list" in response.json()["detail"]


TRIGGERS = """
listener:
  type: http-trigger
  port: 0
  triggers:
    - {path: /github/push, workflow: ci, input: {repo: "${body.repository.name}", branch: "${body.ref}"}}
    - {path: /batch, workflow: ci, bulk: true, item: "${body.items}", input: {id: "${item.id}"}}
workflows:
  ci: {jobs: [{component: logger, input: {message: hi}}]}
"""


async def test_trigger_routes_start_runs_and_answer_with_their_ids(harness: Harness) -> None:
    url = (await harness.console(TRIGGERS)).listener_urls[0]
    push = await harness.http.post(f"{url}/github/push", json={"repository": {"name": "hooktui"}, "ref": "main"})
    assert push.status_code == 200
    answer = push.json()
    assert answer["status"] == "triggered" and answer["task_id"].startswith("run_")
    event = harness.store.get(int(push.headers["X-Hooktui-Event"]))
    assert event.match.items == [{"workflow": "ci", "input": {"repo": "hooktui", "branch": "main"}}]
    assert event.match.engine[0]["run_id"] == answer["task_id"]
    bulk = await harness.http.post(f"{url}/batch", json={"items": [{"id": 1}, {"id": 2}, {"id": 3}]})
    answers = bulk.json()
    assert [a["status"] for a in answers] == ["triggered"] * 3 and len({a["task_id"] for a in answers}) == 3
    event = harness.store.get(int(bulk.headers["X-Hooktui-Event"]))
    assert [run["input"] for run in event.match.items] == [{"id": 1}, {"id": 2}, {"id": 3}]


VERIFIED = """
listener:
  type: http-callback
  port: 0
  callbacks:
    - path: /mr
      verify: {scheme: modelriver, secret: mr_secret}
    - path: /strict
      verify: {scheme: modelriver, secret: mr_secret, enforce: true}
    - path: /open
"""


async def test_verification_per_route_enforce_and_cli_defaults(harness: Harness) -> None:
    console = await harness.console(VERIFIED, verify_defaults=VerifyDefaults("github", ["gh_secret"]))
    url = console.listener_urls[0]
    body = b'{"type":"task.ai_generated","channel_id":"c1"}'
    good = dict(sign_body(body, scheme="modelriver", secret="mr_secret"))
    bad = dict(sign_body(body, scheme="modelriver", secret="other"))

    async def post(path: str, headers: dict) -> tuple[int, object]:
        response = await harness.http.post(f"{url}{path}", content=body, headers=headers)
        return response.status_code, harness.store.get(int(response.headers["X-Hooktui-Event"])).signature

    status, verdict = await post("/mr", good)
    assert (status, verdict.scheme, verdict.status) == (200, "modelriver", "valid")
    status, verdict = await post("/mr", bad)
    assert (status, verdict.status) == (200, "invalid")  # captured and answered; the verdict says it
    status, verdict = await post("/strict", bad)
    assert (status, verdict.status) == (401, "invalid")
    status, verdict = await post("/strict", {})
    assert (status, verdict.status) == (401, "missing")
    status, verdict = await post("/open", dict(sign_body(body, scheme="github", secret="gh_secret")))
    assert (status, verdict.scheme, verdict.status) == (200, "github", "valid")


FORWARDING = """
listener:
  type: capture
  port: 0
  forward: [{{url: "{app}", retries: 2, backoff: 0.01}}, {{url: "{app}/v2", path_prefix: /new, strip_prefix: true}}]
"""


async def test_forwarding_is_byte_exact_and_recorded(harness: Harness) -> None:
    receiver = Receiver()
    app = await receiver.start()
    try:
        url = (await harness.console(FORWARDING.format(app=app))).listener_urls[0]
        body = b'{"a": 1,   "b": [1,2]}\r\n'
        headers = [("X-Dup", "1"), ("X-Dup", "2"), ("Content-Type", "application/json"), ("Connection", "keep-alive"),
                   ("mr-signature", "ab" * 32)]
        response = await harness.http.post(f"{url}/webhooks/x?q=1&q=2", content=body, headers=headers)
        assert response.json() == {"received": True}  # the console answers; the app is told afterwards
        event_id = int(response.headers["X-Hooktui-Event"])
        event = await _wait_for(harness.store, event_id, lambda e: e.forward is not None)
        (got,) = receiver.requests
        assert (got.method, got.path, got.query, got.body) == ("POST", "/webhooks/x", "q=1&q=2", body)
        assert [v for k, v in got.headers if k == "x-dup"] == ["1", "2"]
        assert ("mr-signature", "ab" * 32) in got.headers
        assert event.forward.status == 200 and event.forward.body == '{"ok": true}'
        assert event.forward.attempts == 1 and event.forward.latency_ms > 0
        await harness.http.post(f"{url}/new/thing", content=b"{}")
        await wait_until(lambda: len(receiver.requests) == 2)
        assert receiver.requests[1].path == "/v2/thing"  # the longest prefix wins; its prefix stripped
    finally:
        await receiver.stop()


async def test_forward_retries_with_backoff_then_succeeds(harness: Harness) -> None:
    receiver = Receiver(answers=[(500, b"boom"), (503, b"busy"), (201, b"made")])
    app = await receiver.start()
    try:
        url = (await harness.console(FORWARDING.format(app=app))).listener_urls[0]
        response = await harness.http.post(f"{url}/x", content=b"{}")
        event_id = int(response.headers["X-Hooktui-Event"])
        event = await _wait_for(harness.store, event_id, lambda e: e.forward is not None)
        assert (event.forward.status, event.forward.attempts) == (201, 3)
        deliveries = harness.store.deliveries(event_id)
        assert [(d.attempt, d.status, d.response_body) for d in deliveries] == [
            (1, 500, b"boom"), (2, 503, b"busy"), (3, 201, b"made")]
    finally:
        await receiver.stop()


async def test_app_down_is_recorded_and_the_sender_still_gets_an_answer(harness: Harness) -> None:
    dead = "http://127.0.0.1:9"  # discard port: nothing listens
    url = (await harness.console(f"listener: {{type: capture, port: 0, forward: '{dead}'}}\n")).listener_urls[0]
    response = await harness.http.post(f"{url}/x", content=b"{}")
    assert response.status_code == 200
    event = await _wait_for(harness.store, int(response.headers["X-Hooktui-Event"]), lambda e: e.forward is not None)
    assert event.forward.status is None and "cannot connect" in event.forward.error


async def test_respond_app_relays_the_app_answer(harness: Harness) -> None:
    receiver = Receiver(answers=[(202, b'{"queued": 7}')])
    app = await receiver.start()
    try:
        config = f"listener: {{type: capture, port: 0, respond: app, forward: '{app}'}}\n"
        url = (await harness.console(config)).listener_urls[0]
        response = await harness.http.post(f"{url}/x", content=b"{}")
        assert (response.status_code, response.json(), response.headers["X-Receiver"]) == (202, {"queued": 7}, "yes")
        event = harness.store.get(int(response.headers["X-Hooktui-Event"]))
        assert event.response_status == 202 and event.forward.status == 202
    finally:
        await receiver.stop()
    down = await harness.console("listener: {type: capture, port: 0, respond: app, forward: 'http://127.0.0.1:9'}\n")
    response = await harness.http.post(f"{down.listener_urls[0]}/x", content=b"{}")
    assert response.status_code == 502 and "cannot connect" in response.json()["detail"]


async def test_cli_forward_to_applies_to_routes_without_forward(harness: Harness) -> None:
    receiver = Receiver()
    app = await receiver.start()
    try:
        url = (await harness.console(CAPTURE, forward_to=app)).listener_urls[0]
        await harness.http.post(f"{url}/y", content=b"1")
        await wait_until(lambda: len(receiver.requests) == 1)
    finally:
        await receiver.stop()


async def test_max_concurrent_count_queues_then_refuses_with_retry_after(harness: Harness) -> None:
    receiver = Receiver(hold=asyncio.Event())
    app = await receiver.start()
    try:
        config = (f"listener: {{type: capture, port: 0, max_concurrent_count: 1, max_queued_count: 1, "
                  f"respond: app, forward: '{app}'}}\n")
        url = (await harness.console(config)).listener_urls[0]
        first = asyncio.create_task(harness.http.post(f"{url}/1", content=b"1"))
        await wait_until(lambda: len(receiver.requests) == 1)  # holds the only slot
        second = asyncio.create_task(harness.http.post(f"{url}/2", content=b"2"))
        await wait_until(lambda: harness.consoles[0].pipelines[0].gate.waiting == 1)  # queued
        third = await harness.http.post(f"{url}/3", content=b"3")
        assert third.status_code == 503 and third.headers["Retry-After"] == "1"
        receiver.hold.set()
        assert (await first).status_code == 200 and (await second).status_code == 200
        refused = harness.store.get(int(third.headers["X-Hooktui-Event"]))
        assert refused.response_status == 503 and "are queued (max_queued_count)" in refused.error
        assert [r.path for r in receiver.requests] == ["/1", "/2"]
    finally:
        await receiver.stop()


async def test_several_listeners_at_once_and_a_busy_port(harness: Harness) -> None:
    console = await harness.console("listeners:\n" + "".join(
        f"  - {{type: capture, port: 0, respond: {{status: {200 + i}}}}}\n" for i in range(3)))
    statuses = [(await harness.http.get(u)).status_code for u in console.listener_urls]
    assert statuses == [200, 201, 202]
    taken = console.servers[0].port
    with pytest.raises(PortInUse, match=f"port {taken} on 127.0.0.1 is already in use"):
        await harness.console(f"listeners: [{{type: capture, port: 0}}, {{type: capture, port: {taken}}}]\n")


async def test_reserved_paths_are_not_served(harness: Harness) -> None:
    url = (await harness.console(CAPTURE)).listener_urls[0]
    response = await harness.http.get(f"{url}/_hooktui/status")
    assert response.status_code == 404


async def test_a_failed_commit_answers_503_and_acknowledges_nothing(harness: Harness) -> None:
    url = (await harness.console(CAPTURE)).listener_urls[0]
    connection = sqlite3.connect(harness.store.path)
    connection.execute("CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.path = '/fail' "
                       "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    connection.commit()
    connection.close()
    response = await harness.http.post(f"{url}/fail", content=b"{}")
    assert response.status_code == 503 and "X-Hooktui-Event" not in response.headers
    assert (await harness.http.post(f"{url}/ok", content=b"{}")).status_code == 200


async def test_sse_stream_requires_the_token_and_streams_events(harness: Harness) -> None:
    console = await harness.console(CAPTURE)
    stream_url = console.inspection_url
    base = stream_url.split("?")[0]
    assert (await harness.http.get(base)).status_code == 401
    assert (await harness.http.get(base + "?token=wrong")).status_code == 401
    assert console.inspection_server.port not in [s.port for s in console.servers]
    status = await harness.http.get(base.replace("/events", "/status"),
                                    headers={"Authorization": f"Bearer {console.inspection.token}"})
    assert status.json()["listeners"][0]["url"] == console.listener_urls[0]
    lines: list[str] = []

    async def read() -> None:
        async with harness.http.stream("GET", stream_url) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                lines.append(line)
                if line.startswith("data:"):
                    return

    reader = asyncio.create_task(read())
    await wait_until(lambda: lines)  # subscribed
    await harness.http.post(f"{console.listener_urls[0]}/sse", content=b'{"x": 1}')
    await asyncio.wait_for(reader, 10)
    assert "event: event" in lines
    data = json.loads(lines[-1].removeprefix("data: "))
    assert data["event"]["path"] == "/sse" and data["final"] is True


async def _wait_for(store: Store, event_id: int, condition, timeout: float = 10):
    found = {}

    def check() -> bool:
        event = store.get(event_id)
        found["event"] = event
        return event is not None and condition(event)

    await wait_until(check, timeout)
    return found["event"]


async def test_the_providers_conventional_secret_variable_is_used(harness: Harness,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    url = (await harness.console(CAPTURE)).listener_urls[0]
    body = b'{"type":"task.completed"}'
    headers = dict(sign_body(body, scheme="modelriver", secret="from-the-seeds"))
    unchecked = await harness.http.post(f"{url}/mr", content=body, headers=headers)
    verdict = harness.store.get(int(unchecked.headers["X-Hooktui-Event"])).signature
    assert verdict.status == "unchecked" and verdict.reason.endswith("or $MODELRIVER_WEBHOOK_SECRET)")
    monkeypatch.setenv("MODELRIVER_WEBHOOK_SECRET", "from-the-seeds")
    checked = await harness.http.post(f"{url}/mr", content=body, headers=headers)
    assert harness.store.get(int(checked.headers["X-Hooktui-Event"])).signature.status == "valid"


async def test_configured_answers_follow_http_rules(harness: Harness) -> None:
    """The listener writes raw ASGI answers (answer.py): a configured 204 has no body and no length, text answers
    say their charset, configured headers arrive as given, and every answer names the stored event."""
    console = await harness.console(
        "listeners:\n"
        "  - {type: capture, port: 0, respond: {status: 204, body: ignored}}\n"
        "  - {type: capture, port: 0, respond: {status: 202, body: accepted, headers: {X-Custom: 'a b'}}}\n")
    url = console.listener_urls[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", console.servers[0].port)
    try:
        writer.write(b"POST /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 204") and b"content-length" not in head.lower()
        assert b"x-hooktui-event: " in head.lower()
    finally:
        writer.close()
    text = await harness.http.post(f"{url}/text", content=b"x")
    assert (text.status_code, text.text) == (202, "accepted")
    assert text.headers["content-type"] == "text/plain; charset=utf-8" and text.headers["x-custom"] == "a b"
    assert text.headers["content-length"] == "8"
    assert harness.store.get(int(text.headers["x-hooktui-event"])).response_status == 202
