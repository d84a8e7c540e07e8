"""Routing by event type: one listener, several local handlers chosen by `events:` globs or a `when:` condition,
the CLI's `--forward-to 'TYPES=URL'` and `--events` — against real receivers and real requests."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from hookdeck_tui.config import ConfigError, parse_config
from hookdeck_tui.expressions import ExpressionError
from hookdeck_tui.listener.evaluation import request_scope
from hookdeck_tui.store import Store
from tests.listener_harness import Harness
from tests.receiver import Receiver
from tests.test_listen_cli import ListenProcess
from tests.waiting import wait_until


@pytest.fixture
async def receivers():
    started = [Receiver() for _ in range(3)]
    urls = [await r.start() for r in started]
    yield started, urls
    for receiver in started:
        await receiver.stop()


def routing_config(paid: str, checkout: str, other: str) -> str:
    return f"""\
listener:
  type: capture
  port: 0
  forward:
    - url: {paid}/paid
      when: ${{body.type}} == "invoice.paid"
    - url: {checkout}/checkout
      events: ["checkout.*", push]
    - url: {other}/rest
"""


async def test_forward_targets_are_chosen_by_type_and_condition(harness: Harness, receivers) -> None:
    (paid, checkout, other), urls = receivers
    console = await harness.console(routing_config(*urls))
    url = console.listener_urls[0]
    await harness.http.post(url, json={"id": "evt_1", "type": "invoice.paid"})
    await harness.http.post(url, json={"id": "evt_2", "type": "checkout.session.completed"})
    await harness.http.post(url, content=b'{"ref": "main"}', headers={"X-GitHub-Event": "push"})
    await harness.http.post(url, json={"id": "evt_3", "type": "customer.created"})
    await harness.http.post(url, content=b"not json")
    await wait_until(lambda: len(paid.requests) + len(checkout.requests) + len(other.requests) == 5)
    assert [json.loads(r.body)["id"] for r in paid.requests] == ["evt_1"]
    assert [r.path for r in checkout.requests] == ["/checkout", "/checkout"]
    assert json.loads(checkout.requests[0].body)["type"] == "checkout.session.completed"
    assert [r.body for r in other.requests] == [b'{"id":"evt_3","type":"customer.created"}', b"not json"]


async def test_events_filter_captures_but_does_not_forward_other_types(harness: Harness, receivers) -> None:
    (app, _, _), urls = receivers
    console = await harness.console("listener: {type: capture, port: 0}\n", forward_to=urls[0],
                                    forward_events=["invoice.*"])
    url = console.listener_urls[0]
    kept = await harness.http.post(url, json={"type": "customer.created"})
    sent = await harness.http.post(url, json={"type": "invoice.paid"})
    await wait_until(lambda: len(app.requests) == 1 and harness.store.get(int(sent.headers["x-hooktui-event"])).forward)
    assert json.loads(app.requests[0].body) == {"type": "invoice.paid"}
    left_out = harness.store.get(int(kept.headers["x-hooktui-event"]))
    assert left_out.forward is None and left_out.response_status == 200
    assert left_out.meta == {"not_forwarded": "type customer.created is not in --events invoice.*"}


def test_cli_forward_to_by_type_and_events(tmp_path: Path) -> None:
    async def scenario() -> tuple[list, list]:
        typed, fallback = Receiver(), Receiver()
        typed_url, fallback_url = await typed.start(), await fallback.start()
        listen = ListenProcess(tmp_path, "--forward-to", f"checkout.*,invoice.paid={typed_url}/stripe",
                               "--forward-to", fallback_url, "--events", "checkout.*,invoice.*,ping")
        try:
            assert any(line.startswith("forwarding to checkout.*,invoice.paid=http://127.0.0.1:") and
                       line.endswith(" (only events of types checkout.*,invoice.*,ping)") for line in listen.startup)
            async with httpx.AsyncClient() as client:
                for kind in ("checkout.session.completed", "invoice.paid", "invoice.created", "customer.created"):
                    await client.post(listen.url + "/hook", json={"type": kind})
            await wait_until(lambda: len(typed.requests) + len(fallback.requests) == 3)
        finally:
            listen.stop()
            await typed.stop()
            await fallback.stop()
        return typed.requests, fallback.requests

    typed, fallback = asyncio.run(scenario())
    assert [json.loads(r.body)["type"] for r in typed] == ["checkout.session.completed", "invoice.paid"]
    assert [r.path for r in typed] == ["/stripe", "/stripe"]
    assert [json.loads(r.body)["type"] for r in fallback] == ["invoice.created"]
    store = Store(tmp_path / "listen.db")
    try:
        left_out = [e for e in store.page(limit=10) if e.meta and "not_forwarded" in e.meta]
        assert [(e.forward, e.meta["not_forwarded"]) for e in left_out] == [
            (None, "type customer.created is not in --events checkout.*,invoice.*,ping")]
    finally:
        store.close()


def test_event_type_from_headers_and_bodies() -> None:
    from hookdeck_tui.event_types import event_type, type_matches

    assert event_type([("X-GitHub-Event", "pull_request")], b'{"action": "opened"}') == "pull_request"
    assert event_type([], b'{"id": "evt_1", "type": "invoice.paid"}') == "invoice.paid"
    assert event_type([], b'{"type": "event_callback", "event": {"type": "app_mention"}}') == "app_mention"
    assert event_type([], b'{"event": "task.completed"}') == "task.completed"
    assert event_type([], b"", parsed={"command": "/deploy", "text": "prod"}) == "/deploy"  # a Slack slash form
    assert event_type([], b"plain text") is None
    assert type_matches("checkout.session.completed", ["checkout.*"])
    assert not type_matches("invoice.paid", ["checkout.*"]) and not type_matches(None, ["checkout.*"])
    assert type_matches(None, ["*"])


def test_conditions() -> None:
    from hookdeck_tui.conditions import Condition

    scope = request_scope(b'{"type": "invoice.paid", "amount": 5}', [("X-Kind", "a")], {})
    assert Condition('${body.type} == "invoice.paid"').holds(scope)
    assert Condition("${body.amount} != 6").holds(scope)
    assert Condition("${header.X-Kind} == 'a'").holds(scope)
    assert not Condition("${body.missing.deeper} == 'x'").holds(scope)
    assert not Condition("${body.missing}").holds(scope) and Condition("${body.type}").holds(scope)
    with pytest.raises(ExpressionError, match="quote texts"):
        Condition("${body.type} == invoice.paid")


def test_a_bad_when_is_a_config_error_with_its_place() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("listener:\n  type: capture\n  forward:\n    - url: http://127.0.0.1:4000\n"
                     "      when: ${body.type} == paid\n", "c.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "c.yaml:5:13: listener.forward[0].when: `paid` is not a `${...}`, a quoted text or a number (quote texts: "
        "`\"paid\"`) (in `${body.type} == paid`)"]


def test_a_replay_goes_where_the_listener_forwards_that_type() -> None:
    from hookdeck_tui.commands.answer_args import forward_targets
    from hookdeck_tui.delivery.replay import forward_url
    from hookdeck_tui.store import CapturedEvent

    config = parse_config(routing_config("http://127.0.0.1:4001", "http://127.0.0.1:4002", "http://127.0.0.1:4003"),
                          "t.yaml")

    def event(body: bytes, headers: list[tuple[str, str]] = ()) -> CapturedEvent:
        return CapturedEvent(origin="external", origin_ref=None, method="POST", path="/hook", headers=list(headers),
                             body=body, query="", received_at=0.0, listener="", remote_addr="")

    assert forward_url(config, event(b'{"type": "invoice.paid"}')) == "http://127.0.0.1:4001/paid"
    assert forward_url(config, event(b"{}", [("X-GitHub-Event", "push")])) == "http://127.0.0.1:4002/checkout"
    assert forward_url(config, event(b'{"type": "other"}')) == "http://127.0.0.1:4003/rest"
    plain = parse_config("listener: {type: capture, port: 0}\n", "t.yaml")
    cli = forward_targets(["checkout.*=http://127.0.0.1:4000/stripe", "http://127.0.0.1:4000/all"])
    assert forward_url(plain, event(b'{"type": "checkout.x"}'), cli) == "http://127.0.0.1:4000/stripe"
    assert forward_url(plain, event(b'{"type": "invoice.x"}'), cli) == "http://127.0.0.1:4000/all"


async def test_a_when_condition_can_read_the_query(harness: Harness, receivers) -> None:
    """`when:` sees the whole request like any `${...}`: the query too (it was always empty there)."""
    (staging, other, _), urls = receivers
    console = await harness.console(f"""\
listener:
  type: capture
  port: 0
  forward:
    - url: {urls[0]}/staging
      when: ${{query.env}} == "staging"
    - url: {urls[1]}/rest
""")
    url = console.listener_urls[0]
    await harness.http.post(f"{url}/hook?env=staging", json={"n": 1})
    await harness.http.post(f"{url}/hook?env=prod", json={"n": 2})
    await wait_until(lambda: len(staging.requests) + len(other.requests) == 2)
    assert [json.loads(r.body)["n"] for r in staging.requests] == [1]
    assert [json.loads(r.body)["n"] for r in other.requests] == [2]
