"""Delivering like the providers: retry schedules (compressed) with their ids and headers, duplicates and
sequences, each against a real receiver (tests/receiver.py on a real Uvicorn), the signatures of every attempt
checked with the providers' own libraries."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
import standardwebhooks
import stripe
from slack_sdk.signature import SignatureVerifier

from hookdeck_tui.forge.build import ForgeSpec, forge
from hookdeck_tui.forge.redelivery import deliver_with_retries
from hookdeck_tui.forge.schedules import SCHEDULES, schedule_for
from hookdeck_tui.forge.templates import get_template
from hookdeck_tui.store import Store
from tests.receiver import Receiver
from tests.test_forge import hooktui

SVIX_SECRET = "whsec_" + base64.b64encode(b"hooktui-standard-webhooks-key!!").decode()
FAIL_TWICE = [(500, b'{"error": "down"}'), (503, b"{}"), (200, b'{"ok": true}')]


@pytest.fixture
async def receiver():
    app = Receiver(answers=list(FAIL_TWICE))
    await app.start()
    yield app
    await app.stop()


@pytest.fixture
def store(tmp_path: Path):
    opened = Store(tmp_path / "events.db")
    yield opened
    opened.close()


class Waits:
    """Records the waits the schedule asks for (and waits nothing): the order of delays is checked, not the clock."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def test_the_schedules_follow_what_each_provider_documents() -> None:
    svix = schedule_for("svix")
    assert svix.delays == (5, 300, 1800, 7200, 18000, 36000, 36000) and svix.attempts == 8 and svix.documented
    shopify = SCHEDULES["shopify"]
    assert len(shopify.delays) == 8 and sum(shopify.delays) == pytest.approx(4 * 3600)
    stripe_schedule = SCHEDULES["stripe"]
    assert 2 * 86400 < sum(stripe_schedule.delays) <= 3 * 86400 and not stripe_schedule.documented
    assert SCHEDULES["github"].delays == () and "does not redeliver" in SCHEDULES["github"].note
    assert SCHEDULES["slack"].delays == (0, 60, 300) and SCHEDULES["slack"].attempt_header == "X-Slack-Retry-Num"
    for schedule in SCHEDULES.values():
        assert list(schedule.delays) == sorted(schedule.delays), schedule.provider  # backoff never shrinks
        assert schedule.source and schedule.note
    assert svix.scaled(0.01) == pytest.approx([0.05, 3, 18, 72, 180, 360, 360])


def _forged(template: str, url: str, secret: str):
    return forge(ForgeSpec(get_template(template), url, secret=secret))


async def test_standard_webhooks_retries_keep_the_webhook_id_and_sign_each_attempt(receiver: Receiver,
                                                                                   store: Store) -> None:
    waits = Waits()
    schedule = schedule_for("standard-webhooks")
    attempts = await deliver_with_retries(store, _forged("standard-webhooks.event", receiver.server.url, SVIX_SECRET),
                                          schedule, time_scale=0.01, sleep=waits)
    assert [a.result.status for a in attempts] == [500, 503, 200] and len(receiver.requests) == 3
    assert waits.asked == pytest.approx(schedule.scaled(0.01)[:2])  # 5 s then 5 min, compressed
    ids = {dict(r.headers)["webhook-id"] for r in receiver.requests}
    assert len(ids) == 1
    for request in receiver.requests:
        standardwebhooks.Webhook(SVIX_SECRET).verify(request.body, dict(request.headers))
    assert len({r.body for r in receiver.requests}) == 1
    stored = [store.get(a.event.id) for a in attempts]
    assert [e.meta["attempt"]["number"] for e in stored] == [1, 2, 3]
    assert {e.meta["attempt"]["of"] for e in stored} == {8}


async def test_stripe_retries_resend_the_same_event_each_accepted_by_stripe(receiver: Receiver, store: Store) -> None:
    waits = Waits()
    secret = "whsec_test_hooktui"
    await deliver_with_retries(store, _forged("stripe.invoice.paid", receiver.server.url, secret),
                               schedule_for("stripe"), time_scale=0.001, sleep=waits)
    events = [stripe.Webhook.construct_event(r.body.decode(), dict(r.headers)["stripe-signature"], secret)
              for r in receiver.requests]
    assert len(events) == 3 and len({e["id"] for e in events}) == 1 and events[0]["type"] == "invoice.paid"
    assert waits.asked == pytest.approx([0.06, 0.12])  # 1 min, 2 min: doubling


async def test_shopify_retries_carry_the_original_payload_and_headers(receiver: Receiver, store: Store) -> None:
    await deliver_with_retries(store, _forged("shopify.orders/create", receiver.server.url, "shpss_x"),
                               schedule_for("shopify"), time_scale=0.0001, sleep=Waits())
    seen = [dict(r.headers) for r in receiver.requests]
    for name in ("x-shopify-webhook-id", "x-shopify-event-id", "x-shopify-triggered-at", "x-shopify-hmac-sha256"):
        assert len({h[name] for h in seen}) == 1, name
    assert seen[0]["x-shopify-topic"] == "orders/create"


async def test_slack_retries_number_themselves_and_say_why(receiver: Receiver, store: Store) -> None:
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    waits = Waits()
    await deliver_with_retries(store, _forged("slack.app_mention", receiver.server.url, secret),
                               schedule_for("slack"), time_scale=0.01, sleep=waits)
    seen = [dict(r.headers) for r in receiver.requests]
    assert [h.get("x-slack-retry-num") for h in seen] == [None, "1", "2"]
    assert [h.get("x-slack-retry-reason") for h in seen] == [None, "http_error", "http_error"]
    for request, headers in zip(receiver.requests, seen, strict=False):
        assert SignatureVerifier(secret).is_valid(request.body, headers["x-slack-request-timestamp"],
                                                  headers["x-slack-signature"])
    assert waits.asked == pytest.approx([0.0, 0.6])


async def test_a_schedule_that_runs_out_stops_there(store: Store) -> None:
    down = Receiver(answers=[(500, b"{}")])
    await down.start()
    try:
        waits = Waits()
        attempts = await deliver_with_retries(store, _forged("modelriver.task_completed", down.server.url, "mr"),
                                              schedule_for("modelriver"), time_scale=0.01, sleep=waits)
    finally:
        await down.stop()
    assert len(attempts) == len(down.requests) == 4 and not attempts[-1].delivered
    assert waits.asked == pytest.approx([0.3, 1.2, 6.0])
    assert len({r.body for r in down.requests}) == 1 and len({dict(r.headers)["mr-signature"]
                                                             for r in down.requests}) == 1


async def test_no_answer_in_time_is_retried_and_slack_says_http_timeout(store: Store) -> None:
    slow = Receiver(answers=[(200, b"{}")], hold=asyncio.Event())
    await slow.start()

    class Release(Waits):
        async def __call__(self, seconds: float) -> None:
            await super().__call__(seconds)
            slow.hold.set()  # the app recovers before the retry

    try:
        attempts = await deliver_with_retries(store, _forged("slack.message", slow.server.url, "s"),
                                              schedule_for("slack"), timeout=0.3, sleep=Release())
    finally:
        await slow.stop()
    assert [a.result.status for a in attempts] == [None, 200]
    assert "no answer" in attempts[0].result.error
    assert dict(slow.requests[1].headers)["x-slack-retry-reason"] == "http_timeout"


async def test_a_receiver_that_is_down_gets_every_attempt(store: Store) -> None:
    closed = Receiver()
    url = await closed.start()
    await closed.stop()  # nothing listens there now
    waits = Waits()
    attempts = await deliver_with_retries(store, _forged("slack.message", url, "s"), schedule_for("slack"),
                                          time_scale=0.01, sleep=waits)
    assert len(attempts) == 4 and all(a.result.status is None for a in attempts)
    assert waits.asked == pytest.approx([0.0, 0.6, 3.0])
    assert [store.get(a.event.id).meta["attempt"]["number"] for a in attempts] == [1, 2, 3, 4]


def test_the_example_sequence_is_a_valid_out_of_order_story() -> None:
    from hookdeck_tui.commands.rehearsal import forge_sequence, read_sequence

    path = Path(__file__).resolve().parents[1] / "examples" / "sequences" / "stripe-out-of-order.yaml"
    steps = read_sequence(str(path), "stripe.event")
    forged = forge_sequence(steps, ForgeSpec(get_template("stripe.event"), "http://127.0.0.1:4000", secret="s"))
    bodies = [json.loads(f.request.body) for f in forged]
    assert [b["type"] for b in bodies] == ["customer.deleted", "customer.updated", "customer.created"]
    assert {b["data"]["object"]["id"] for b in bodies} == {"cus_rehearsal"}


@pytest.mark.parametrize(("template", "stop"), [("slack.message", ("X-Slack-No-Retry", "1")),
                                              ("standard-webhooks.event", ("webhook-delivery", "abort-message"))])
async def test_the_receiver_can_tell_the_provider_to_stop_retrying(template: str, stop: tuple[str, str],
                                                                   store: Store) -> None:
    refusing = Receiver(answers=[(500, b"{}")], answer_headers=dict([stop]))
    await refusing.start()
    try:
        attempts = await deliver_with_retries(store, _forged(template, refusing.server.url, SVIX_SECRET),
                                              schedule_for(template.split(".")[0]), time_scale=0.01, sleep=Waits())
    finally:
        await refusing.stop()
    assert len(attempts) == len(refusing.requests) == 1 and not attempts[0].delivered


async def test_send_retries_provider_from_the_command_line(receiver: Receiver, tmp_path: Path) -> None:
    result = await asyncio.to_thread(
        hooktui, "send", "-t", "standard-webhooks.event", "--secret", SVIX_SECRET, "--retries", "provider",
        "--time-scale", "0.0001", "--json", "--db", str(tmp_path / "t.db"), receiver.server.url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [a["status"] for a in report["attempts"]] == [500, 503, 200]
    assert report["schedule"]["provider"] == "standard-webhooks" and report["schedule"]["source"].startswith("https")
    assert len(receiver.requests) == 3


async def test_a_number_of_retries_doubles_from_a_second_and_exits_1_when_all_fail(tmp_path: Path) -> None:
    down = Receiver(answers=[(502, b"{}")])
    await down.start()
    try:
        result = await asyncio.to_thread(hooktui, "send", "-t", "generic.json", "--retries", "2", "--time-scale",
                                         "0.001", "--json", "--db", str(tmp_path / "t.db"), down.server.url,
                                         cwd=tmp_path)
    finally:
        await down.stop()
    assert result.returncode == 1 and len(down.requests) == 3
    report = json.loads(result.stdout)
    assert report["schedule"]["delays"] == [1, 2] and [a["delay"] for a in report["attempts"]] == [0, 1, 2]


async def test_github_has_no_automatic_retries_and_says_so(tmp_path: Path) -> None:
    down = Receiver(answers=[(500, b"{}")])
    await down.start()
    try:
        result = await asyncio.to_thread(hooktui, "send", "-t", "github.issues", "--secret", "s", "--retries",
                                         "provider", "--db", str(tmp_path / "t.db"), down.server.url, cwd=tmp_path)
    finally:
        await down.stop()
    assert result.returncode == 1 and len(down.requests) == 1
    assert "does not redeliver" in result.stdout and "--duplicate" in result.stdout


async def test_duplicate_sends_the_very_same_delivery_again(tmp_path: Path) -> None:
    app = Receiver()
    await app.start()
    try:
        result = await asyncio.to_thread(hooktui, "send", "-t", "github.pull_request", "--secret", "s",
                                         "--duplicate", "2", "--db", str(tmp_path / "t.db"), app.server.url,
                                         cwd=tmp_path)
    finally:
        await app.stop()
    assert result.returncode == 0, result.stderr
    assert len(app.requests) == 3 and len({r.body for r in app.requests}) == 1
    assert len({dict(r.headers)["x-github-delivery"] for r in app.requests}) == 1
    assert len({dict(r.headers)["x-hub-signature-256"] for r in app.requests}) == 1


async def test_sequence_sends_events_in_the_files_order_with_its_sets(tmp_path: Path) -> None:
    app = Receiver()
    await app.start()
    sequence = tmp_path / "sequence.yaml"
    sequence.write_text("- template: stripe.customer.created\n  set: {data.object.id: cus_42}\n"
                        "- template: stripe.customer.deleted\n  set: {data.object.id: cus_42}\n  delay: 30\n"
                        "- template: stripe.customer.updated\n  set: {data.object.id: cus_42}\n  delay: 5\n")
    try:
        result = await asyncio.to_thread(hooktui, "send", "--sequence", str(sequence), "--secret", "whsec_s",
                                         "--time-scale", "0.001", "--json", "--db", str(tmp_path / "t.db"),
                                         app.server.url, cwd=tmp_path)
    finally:
        await app.stop()
    assert result.returncode == 0, result.stderr
    bodies = [json.loads(r.body) for r in app.requests]
    assert [b["type"] for b in bodies] == ["customer.created", "customer.deleted", "customer.updated"]
    assert {b["data"]["object"]["id"] for b in bodies} == {"cus_42"}
    for request in app.requests:
        stripe.Webhook.construct_event(request.body.decode(), dict(request.headers)["stripe-signature"], "whsec_s")
    assert [s["waited"] for s in json.loads(result.stdout)["sequence"]] == pytest.approx([0, 0.03, 0.005])


@pytest.mark.parametrize(("args", "message"), [
    (["-t", "generic.json", "--retries", "provider"], "no provider schedule"),
    (["--retries", "provider", "--wait"], "--wait follows one delivery"),
    (["-t", "stripe.charge.failed", "--duplicate", "2", "--stale"], "a broken variant is sent once"),
    (["--time-scale", "0.5"], "add one"),
    (["--retries", "often"], "is not `provider` or a number"),
    (["--retries", "2", "--time-scale", "fast"], "`fast` is not a time scale"),
    (["--retries", "2", "--time-scale", "5000"], "5000.0: give a time scale (0.01 compresses 100 times) from 0"),
    (["--sequence", "missing.yaml"], "--sequence missing.yaml"),
])
def test_rehearsal_usage_errors_exit_2_and_send_nothing(args: list[str], message: str, tmp_path: Path) -> None:
    result = hooktui("send", *args, "--secret", "s", "http://127.0.0.1:9", "--db", str(tmp_path / "t.db"),
                     cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_sequence_with_an_unknown_template_sends_nothing(tmp_path: Path) -> None:
    sequence = tmp_path / "s.json"
    sequence.write_text(json.dumps([{"template": "stripe.customer.created"}, {"template": "stripe.nope"}]))
    result = hooktui("send", "--sequence", str(sequence), "--secret", "s", "http://127.0.0.1:9",
                     "--db", str(tmp_path / "t.db"), cwd=tmp_path)
    assert result.returncode == 2 and "no template 'stripe.nope'" in result.stderr
