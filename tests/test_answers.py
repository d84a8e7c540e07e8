"""Simulated answers (`respond:` with templates, a delay, a failure rate, a sequence, 429/410, `hang`, `reset`)
against a real Console: real Uvicorn, real HTTP, the real store. The clock and the dice are injected: the delay
goes through a recording sleep, the failure rate through a seeded Random, so nothing waits or flakes."""

from __future__ import annotations

import asyncio
import json
import socket
from random import Random

import httpx
import pytest

from hookdeck_tui.config import parse_config
from tests.listener_harness import Harness


def capture(respond: str) -> str:
    return "listener:\n  type: capture\n  port: 0\n  respond:\n" + "".join(f"    {line}\n"
                                                                           for line in respond.splitlines())


def latest(harness: Harness):
    return harness.store.get(harness.store.page(limit=1)[0].id)


class RecordingSleep:
    """The simulation's sleep: records each delay, and what the store held when it was asked to wait."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.delays: list[float] = []
        self.stored_before: list[int] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.stored_before.append(self.harness.store.count())


async def test_status_headers_and_body_are_rendered_over_the_request(harness: Harness) -> None:
    console = await harness.console(capture('status: 200\nbody:\n  challenge: ${body.challenge}\n'
                                            'headers:\n  X-Echo: "seen ${header.X-Id}"'))
    response = await harness.http.post(console.listener_urls[0], json={"challenge": "c-123"},
                                       headers={"X-Id": "abc"})
    assert response.status_code == 200 and response.json() == {"challenge": "c-123"}
    assert response.headers["x-echo"] == "seen abc"
    event = latest(harness)
    assert event.meta["simulated"] == {"mode": "status", "status": 200}


async def test_a_fixed_status_is_answered_and_recorded(harness: Harness) -> None:
    console = await harness.console(capture("status: 410\nbody: gone"))
    response = await harness.http.post(console.listener_urls[0], content=b"{}")
    assert response.status_code == 410 and response.text == "gone"
    assert latest(harness).response_status == 410
    assert latest(harness).meta["simulated"]["status"] == 410


async def test_plain_answers_store_no_simulation(harness: Harness) -> None:
    console = await harness.console(capture("status: 200"))
    await harness.http.post(console.listener_urls[0], content=b"{}")
    assert latest(harness).meta is None


async def test_delay_waits_after_the_commit(harness: Harness) -> None:
    console = await harness.console(capture("delay: 2s"))
    sleep = console.pipelines[0].simulation.sleep = RecordingSleep(harness)
    response = await harness.http.post(console.listener_urls[0], content=b"{}")
    assert response.status_code == 200
    assert sleep.delays == [2.0]
    assert sleep.stored_before == [1]  # the event was on disk before the wait began (and so before the answer)
    assert latest(harness).meta["simulated"] == {"mode": "status", "status": 200, "delay_s": 2.0}


async def test_delay_range_is_drawn_from_the_injected_random(harness: Harness) -> None:
    console = await harness.console(capture("delay: 1s-3s"))
    simulation = console.pipelines[0].simulation
    sleep = simulation.sleep = RecordingSleep(harness)
    simulation.random = Random(42)
    expected = Random(42)
    for _ in range(3):
        await harness.http.post(console.listener_urls[0], content=b"{}")
    assert sleep.delays == [expected.uniform(1, 3) for _ in range(3)]
    assert all(1 <= d <= 3 for d in sleep.delays) and len(set(sleep.delays)) == 3


async def test_fail_rate_follows_the_seeded_random(harness: Harness) -> None:
    console = await harness.console(capture("fail: 30%"))
    console.pipelines[0].simulation.random = Random(7)
    dice = Random(7)
    expected = [500 if dice.random() < 0.3 else 200 for _ in range(20)]
    got = [(await harness.http.post(console.listener_urls[0], content=b"{}")).status_code for _ in range(20)]
    assert got == expected and {200, 500} <= set(got)
    failed = [e for e in harness.store.page(limit=50) if e.meta["simulated"]["failed"]]
    assert len(failed) == expected.count(500)
    assert all(e.meta["simulated"]["rate"] == 0.3 and e.response_status == 500 for e in failed)


async def test_sequence_per_delivery_fails_each_delivery_twice_then_succeeds(harness: Harness) -> None:
    console = await harness.console(capture("sequence: [500, 500, 200]"))
    url = console.listener_urls[0]

    async def deliver(delivery: str) -> int:
        answer = await harness.http.post(url, content=b'{"zen": "x"}', headers={"X-GitHub-Delivery": delivery})
        return answer.status_code

    assert [await deliver("d-1") for _ in range(4)] == [500, 500, 200, 200]
    assert await deliver("d-2") == 500  # a new delivery starts over
    simulated = latest(harness).meta["simulated"]
    assert simulated == {"mode": "sequence", "step": 1, "of": 3, "per": "delivery", "delivery": "x-github-delivery:d-2",
                         "status": 500}
    assert latest(harness).response_status == 500


async def test_sequence_overall_runs_across_requests(harness: Harness) -> None:
    console = await harness.console(capture("sequence: [503, 429, 200]\nper: overall\nretry_after: 7"))
    answers = [await harness.http.post(console.listener_urls[0], content=f'{{"n": {n}}}'.encode()) for n in range(4)]
    assert [a.status_code for a in answers] == [503, 429, 200, 200]
    assert answers[0].headers["retry-after"] == "7" and answers[1].headers["retry-after"] == "7"
    assert "retry-after" not in answers[2].headers
    assert answers[0].json() == {"error": "simulated 503"}


async def test_429_says_retry_after(harness: Harness) -> None:
    console = await harness.console(capture("status: 429"))
    response = await harness.http.post(console.listener_urls[0], content=b"{}")
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert response.json() == {"error": "simulated 429"}  # not the default `{"received": true}`
    assert latest(harness).meta["simulated"]["retry_after"] == 1


def test_delivery_ids_of_the_providers() -> None:
    from hookdeck_tui.listener.simulate import delivery_id

    assert delivery_id([("svix-id", "msg_1")], b"{}") == "svix-id:msg_1"
    assert delivery_id([("webhook-id", "w1")], b"{}") == "webhook-id:w1"
    assert delivery_id([], json.dumps({"id": "evt_9", "type": "invoice.paid"}).encode()) == "stripe:evt_9"
    assert delivery_id([], b'{"a": 1}') == delivery_id([], b'{"a": 1}') != delivery_id([], b'{"a": 2}')


async def test_hang_holds_until_the_client_gives_up_and_keeps_the_event(harness: Harness) -> None:
    console = await harness.console(capture("status: hang"))
    async with httpx.AsyncClient(timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(console.listener_urls[0], content=b'{"a": 1}')
    event = latest(harness)
    assert event.body == b'{"a": 1}' and event.response_status is None
    assert event.meta["simulated"]["answer"] == "hang" and event.meta["simulated"]["hold_s"] == 30


async def test_hang_is_bounded_by_hold(harness: Harness) -> None:
    """A sender that waits longer than `hold` sees the connection closed without an answer."""
    console = await harness.console(capture("status: hang\nhold: 0.2"))
    with pytest.raises(httpx.RemoteProtocolError):
        await harness.http.post(console.listener_urls[0], content=b"{}")  # its own timeout is 10 s
    assert latest(harness).meta["simulated"]["answer"] == "hang"


async def test_reset_cuts_the_connection_with_a_tcp_reset(harness: Harness) -> None:
    console = await harness.console(capture("status: reset"))
    port = console.servers[0].port

    def raw_request() -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /r HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            return sock.recv(4096)

    with pytest.raises(ConnectionResetError):
        await asyncio.to_thread(raw_request)
    event = latest(harness)
    assert event.path == "/r" and event.body == b"{}" and event.response_status is None
    assert event.meta["simulated"]["answer"] == "reset"


async def test_bad_answer_settings_are_config_errors_with_positions() -> None:
    from hookdeck_tui.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_config(capture("delay: 3s-1s\nfail: 120%\nsequence: [500, teapot]"), "c.yaml")
    problems = [str(p) for p in caught.value.problems]
    assert any("c.yaml:5:12: listener.respond.delay" in p and "first end must be the smaller" in p for p in problems)
    assert any("listener.respond.fail" in p and "between 0% and 100%" in p for p in problems)
    assert any("listener.respond.sequence" in p and "`teapot` is not an answer" in p for p in problems)
    with pytest.raises(ConfigError) as caught:
        parse_config(capture("body:\n  x: ${output.y}"), "c.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "c.yaml:6:10: listener.respond.body.x: `output.y`: `output` is not available here (use body, query, header)"]


def test_cli_flags_simulate_and_show_says_why(tmp_path) -> None:
    import subprocess
    import sys

    from tests.test_listen_cli import ListenProcess

    listen = ListenProcess(tmp_path, "--respond", "503", "--fail-rate", "0", "--delay", "10ms")
    try:
        response = httpx.post(listen.url + "/hook", content=b"{}")
    finally:
        listen.stop()
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    shown = subprocess.run([sys.executable, "-m", "hookdeck_tui", "show", response.headers["x-hooktui-event"],
                            "--db", str(listen.db)], capture_output=True, text=True, check=True).stdout
    assert "simulated: answered 503 (fail rate 0%: passed; after 0.01 s; Retry-After 1)" in shown


async def test_an_in_process_replay_of_a_hanging_route_is_answered_at_once(harness: Harness) -> None:
    """The console's replay runs in-process: there is no connection to hold, so it is told what would happen
    instead of waiting for `hold`."""
    from hookdeck_tui.delivery.replay import LISTENER

    console = await harness.console(capture("status: hang\nhold: 600"))
    async with httpx.AsyncClient(timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(console.listener_urls[0] + "/h", content=b"{}")
    original = latest(harness)
    outcome = await asyncio.wait_for(console.replay(original, to=LISTENER), 30)
    assert outcome.result.status == 504
    assert json.loads(outcome.result.body) == {"error": "simulated hang: no answer until the client gives up"}
    assert outcome.event.origin == "replay" and outcome.event.meta["simulated"]["answer"] == "hang"


async def test_a_trigger_route_that_simulates_answers_as_told_and_still_starts_its_run(harness: Harness) -> None:
    """A provider's duplicate delivery in rehearsal: the receiver did the work (the run started) but answered 500,
    so the sender will send it again."""
    console = await harness.console("""
listener:
  type: http-trigger
  port: 0
  triggers:
    - path: /deploy
      workflow: ci
      respond: {sequence: [500, 200]}
workflows:
  ci: {jobs: [{component: logger, input: {message: hi}}]}
""")
    url = console.listener_urls[0] + "/deploy"
    first = await harness.http.post(url, json={"ref": "main"})
    second = await harness.http.post(url, json={"ref": "main"})
    assert (first.status_code, second.status_code) == (500, 200)
    stored = harness.store.get(int(first.headers["x-hooktui-event"]))
    assert stored.response_status == 500 and stored.match.engine[0]["run_id"].startswith("run_")
    assert stored.meta["simulated"]["status"] == 500


def test_show_says_what_was_simulated_and_why() -> None:
    from hookdeck_tui.answer_settings import describe_simulated

    assert describe_simulated({"simulated": {"mode": "hang", "answer": "hang", "hold_s": 30.0,
                                             "reason": "no answer until the client gives up"}}) == [
        ("simulated", "hang: no answer until the client gives up (as configured; held at most 30 s)")]
    assert describe_simulated({"simulated": {"mode": "sequence", "step": 2, "of": 3, "per": "delivery",
                                             "delivery": "svix-id:m1", "status": 500}}) == [
        ("simulated", "answered 500 (sequence step 2 of 3, per delivery svix-id:m1)")]
    assert describe_simulated({"not_forwarded": "type a is not in --events b"}) == [
        ("forward", "not forwarded: type a is not in --events b")]
    assert describe_simulated(None) == []


async def test_a_rendered_header_cannot_inject_or_lose_the_event(harness: Harness) -> None:
    """A header rendered from the request may not carry a line break (a second header) or a character HTTP cannot
    send: the event is kept and the answer says what went wrong."""
    console = await harness.console(capture('headers:\n  X-Echo: "${body.v}"'))
    for value in ("a\r\nSet-Cookie: stolen=1", "price: 5€"):
        response = await harness.http.post(console.listener_urls[0], json={"v": value})
        assert response.status_code == 500 and "set-cookie" not in response.headers
        assert "X-Echo" in response.json()["detail"]
        stored = harness.store.get(int(response.headers["x-hooktui-event"]))
        assert json.loads(stored.body) == {"v": value} and "X-Echo" in stored.meta["simulated"]["template_error"]
        assert stored.meta["simulated"]["status"] == stored.response_status == 500
    fine = await harness.http.post(console.listener_urls[0], json={"v": "plain"})
    assert fine.status_code == 200 and fine.headers["x-echo"] == "plain"
