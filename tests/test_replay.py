"""Replay: a captured request goes out again byte-exact (a receiver that checks the original signature accepts it),
or re-signed with a fresh timestamp (a receiver with a freshness check — the Stripe library's — accepts it where it
refuses the plain replay), or edited first; into the console's own listener it is re-ingested and starts the
workflow again. Each replay is captured with origin "replay" pointing at the original."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import stripe
from starlette.requests import Request
from starlette.responses import JSONResponse

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console, VerifyDefaults
from hookdeck_tui.delivery.forward import HOP_BY_HOP
from hookdeck_tui.delivery.replay import LISTENER, Edits, ReplayError, reingest, replay, replay_url, resign_settings
from hookdeck_tui.listener.server import ListenerServer
from hookdeck_tui.signatures import SignedRequest, sign_body, verify_request
from hookdeck_tui.store import Store
from tests.receiver import Receiver
from tests.waiting import wait_until

MR_SECRET = "whsec_mr_replay"
STRIPE_SECRET = "whsec_stripe_replay"
CONFIG = f"""\
listeners:
  - type: http-trigger
    port: 0
    path: /webhooks/stripe
    workflow: record
    verify: {{scheme: stripe, secret: {STRIPE_SECRET}}}
  - type: capture
    port: 0
    verify: {{scheme: modelriver, secret: {MR_SECRET}}}
components:
  note: {{type: logger, message: "payment ${{input.id}}"}}
workflow: {{id: record, jobs: [{{id: log, component: note}}]}}
"""


@pytest.fixture
async def console(tmp_path: Path):
    store = Store(tmp_path / "hooktui.db")
    console = Console(parse_config(CONFIG, str(tmp_path / "hooktui.yaml")), store, inspection_port=None,
                      verify_defaults=VerifyDefaults())
    await console.start()
    yield console
    await console.stop()
    store.close()


async def capture(console: Console, listener: int, path: str, body: bytes, headers: list[tuple[str, str]]):
    async with httpx.AsyncClient() as client:
        response = await client.post(console.listener_urls[listener] + path, content=body, headers=headers)
    return console.store.get(int(response.headers["X-Hooktui-Event"]))


def stripe_app():
    """A receiver with the Stripe library's check: signature and a 300 s freshness window."""
    async def app(scope, receive, send):
        request = Request(scope, receive)
        body = await request.body()
        try:
            event = stripe.Webhook.construct_event(body.decode(), request.headers.get("stripe-signature", ""),
                                                   STRIPE_SECRET)
            response = JSONResponse({"ok": event["id"]})
        except stripe.SignatureVerificationError as exc:
            response = JSONResponse({"error": str(exc)}, status_code=400)
        await response(scope, receive, send)
    return app


async def test_plain_replay_is_byte_exact_and_passes_the_original_signature_check(console: Console) -> None:
    body = b'{"type":"task.completed",  "note":"caf\xc3\xa9"}\n'  # odd spacing and a trailing newline, kept
    headers = [("Content-Type", "application/json"), ("X-Dup", "1"), ("X-Dup", "2"),
               *sign_body(body, scheme="modelriver", secret=MR_SECRET)]
    original = await capture(console, 1, "/hooks/mr?attempt=1", body, headers)
    assert original.signature.status == "valid"
    receiver = Receiver()
    url = await receiver.start()
    try:
        outcome = await replay(console.store, original, replay_url(original, url))
    finally:
        await receiver.stop()
    got = receiver.requests[0]
    assert (got.method, got.path, got.query, got.body) == ("POST", "/hooks/mr", "attempt=1", body)
    sent = [(k.lower(), v) for k, v in original.headers if k.lower() not in HOP_BY_HOP]
    assert [h for h in got.headers if h[0] in {k for k, _ in sent}] == sent  # order and duplicates kept
    # and nothing of the sender's own (httpx added accept-encoding, connection, user-agent): Host and
    # Content-Length come from the target and the body
    assert [h for h in got.headers if h[0] not in ("host", "content-length")] == sent
    again = verify_request(SignedRequest(got.body, got.headers), scheme="modelriver", secrets=[MR_SECRET])
    assert again.status == "valid"
    replayed = outcome.event
    assert replayed.origin == "replay" and replayed.origin_ref == original.id and replayed.body == body
    assert replayed.response_status == 200 and replayed.forward.status == 200
    assert f"replay of #{original.id} → #{replayed.id}" in outcome.line(original)


async def test_resigned_replay_passes_a_freshness_check_the_plain_one_fails(console: Console) -> None:
    body = b'{"id":"evt_1","object":"event","type":"invoice.paid"}'
    old = int(time.time()) - 600  # captured ten minutes ago: outside Stripe's 300 s window now
    original = await capture(console, 0, "/webhooks/stripe", body,
                             sign_body(body, scheme="stripe", secret=STRIPE_SECRET, timestamp=old))
    assert original.signature.status == "expired"
    server = ListenerServer(stripe_app(), "127.0.0.1", 0, name="stripe app")
    await server.start()
    try:
        plain = await replay(console.store, original, replay_url(original, server.url))
        resign = resign_settings(console.config, original)  # the route's verify block: stripe + its secret
        fresh = await replay(console.store, original, replay_url(original, server.url), resign=resign)
    finally:
        await server.stop()
    assert plain.result.status == 400 and b"Timestamp outside the tolerance zone" in plain.result.body
    assert fresh.result.status == 200 and json.loads(fresh.result.body) == {"ok": "evt_1"}
    assert fresh.request.body == body
    assert [k for k, _ in fresh.request.headers].count("Stripe-Signature") == 1  # the old one replaced
    assert fresh.event.signature.status == "valid" and fresh.event.meta["replay"]["resigned"] is True
    assert STRIPE_SECRET not in json.dumps(fresh.event.to_json())  # the secret is never stored


async def test_edited_replay_is_signed_over_the_edited_body(console: Console) -> None:
    body = b'{"type":"task.ai_generated"}'
    original = await capture(console, 1, "/webhooks/modelriver", body,
                             sign_body(body, scheme="modelriver", secret=MR_SECRET))
    receiver = Receiver()
    url = await receiver.start()
    try:
        edits = Edits(method="PUT", target="/other?x=1", body=b'{"type":"task.completed"}',
                      headers=[("Content-Type", "application/json"), ("X-Edited", "yes")])
        outcome = await replay(console.store, original, replay_url(original, url, target=edits.target),
                               edits=edits, resign=resign_settings(console.config, original))
    finally:
        await receiver.stop()
    got = receiver.requests[0]
    assert (got.method, got.path, got.query, got.body) == ("PUT", "/other", "x=1", b'{"type":"task.completed"}')
    assert ("x-edited", "yes") in got.headers
    assert verify_request(SignedRequest(got.body, got.headers), scheme="modelriver",
                          secrets=[MR_SECRET]).status == "valid"
    assert outcome.event.meta["replay"] == {"of": original.id, "resigned": True, "edited": True}


async def test_replay_into_the_listener_is_captured_as_a_replay_and_runs_the_workflow(console: Console) -> None:
    body = b'{"id":"evt_2","type":"invoice.paid"}'
    original = await capture(console, 0, "/webhooks/stripe", body,
                             sign_body(body, scheme="stripe", secret=STRIPE_SECRET))
    await wait_until(lambda: len(console.store.runs()) == 1)
    outcome = await console.replay(original, to=LISTENER)
    again = outcome.event
    assert outcome.result.status == 200 and json.loads(outcome.result.body)["status"] == "triggered"
    assert again.origin == "replay" and again.origin_ref == original.id and again.body == body
    assert again.signature.status == "valid" and again.listener == original.listener
    await wait_until(lambda: len(console.store.runs()) == 2)
    assert again.run_ids and again.run_ids != original.run_ids
    assert [e.id for e in console.store.derived_from(original.id)] == [again.id]


async def test_an_in_process_replay_gets_its_event_back_without_reading_the_answer(console: Console) -> None:
    """The listener hands the event it captured straight back to the replay: an answer stripped of its
    `x-hooktui-event` header (a middleware in the way) still gives the replay its own event."""
    body = b'{"id":"evt_3","type":"invoice.paid"}'
    original = await capture(console, 0, "/webhooks/stripe", body,
                             sign_body(body, scheme="stripe", secret=STRIPE_SECRET))
    listener = console.servers[0].app

    async def without_the_header(scope, receive, send):
        async def stripped(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [(k, v) for k, v in message["headers"]
                                                  if k.lower() != b"x-hooktui-event"]}
            await send(message)
        await listener(scope, receive, stripped)

    outcome = await reingest(console.store, without_the_header, original)
    assert not [v for k, v in outcome.result.headers if k.lower() == "x-hooktui-event"]
    assert outcome.event is not None and outcome.event.id == console.store.last_id()
    assert outcome.event.origin == "replay" and outcome.event.origin_ref == original.id


async def test_the_replay_says_its_signature_verdict(console: Console) -> None:
    """The door's replay judges what it sent with the route's secret: as captured it still verifies; with the
    body edited and not re-signed it does not — and the outcome's line says which."""
    body = b'{"type":"task.completed"}'
    original = await capture(console, 1, "/hooks/mr", body, sign_body(body, scheme="modelriver", secret=MR_SECRET))
    receiver = Receiver()
    url = await receiver.start()
    try:
        plain = await console.replay(original, to=url)
        edited = await console.replay(original, to=url, edits=Edits(body=b'{"type":"task.failed"}'))
        resigned = await console.replay(original, to=url, edits=Edits(body=b'{"type":"task.failed"}'), resign=True)
    finally:
        await receiver.stop()
    assert plain.verdict.status == "valid" and plain.line(original).endswith("; signature valid (modelriver)")
    assert edited.verdict.status == "invalid" and "; signature invalid: " in edited.line(original)
    assert resigned.verdict.status == "valid"
    assert console.store.get(edited.event.id).signature.status == "invalid"  # kept with the replay


async def test_resign_without_a_known_secret_or_scheme_says_what_to_pass(console: Console) -> None:
    body = b"plain"
    async with httpx.AsyncClient() as client:
        response = await client.post(console.listener_urls[0] + "/elsewhere", content=body)
    event = console.store.get(int(response.headers["X-Hooktui-Event"]))
    with pytest.raises(ReplayError, match="pass --scheme"):
        resign_settings(None, event)
    os.environ.pop("HOOKTUI_SECRET", None)
    with pytest.raises(ReplayError, match="needs its secret"):
        resign_settings(None, event, scheme="github")
    with pytest.raises(ReplayError, match="not a URL"):
        replay_url(event, "localhost:4000")


def hooktui(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOOKTUI_SECRET": "", "STRIPE_WEBHOOK_SECRET": ""}
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], capture_output=True, text=True, env=env,
                          timeout=60, cwd=cwd)


async def test_replay_command(console: Console, tmp_path: Path) -> None:
    body = b'{"id":"evt_3"}'
    old = int(time.time()) - 600
    original = await capture(console, 0, "/webhooks/stripe", body,
                             sign_body(body, scheme="stripe", secret=STRIPE_SECRET, timestamp=old))
    (tmp_path / "hooktui.yaml").write_text(CONFIG)
    db = str(console.store.path)
    server = ListenerServer(stripe_app(), "127.0.0.1", 0, name="stripe app")
    await server.start()
    try:
        plain = await asyncio.to_thread(hooktui, "replay", str(original.id), "--to", server.url, "--db", db,
                                        cwd=tmp_path)
        fresh = await asyncio.to_thread(hooktui, "replay", str(original.id), "--to", server.url, "--resign",
                                        "--json", "--db", db, cwd=tmp_path)
    finally:
        await server.stop()
    assert plain.returncode == 1, plain.stderr
    assert plain.stdout.startswith(f"replay of #{original.id} → #") and "→ 400 in" in plain.stdout
    assert fresh.returncode == 0, fresh.stderr
    report = json.loads(fresh.stdout)
    assert report["status"] == 200 and report["resigned"] is True and report["signature"] == "valid"
    missing = hooktui("replay", "999", "--to", server.url, "--db", db, cwd=tmp_path)
    assert missing.returncode == 2 and "no event #999" in missing.stderr
    nowhere = hooktui("replay", str(original.id), "--db", db, cwd=tmp_path)
    assert nowhere.returncode == 2 and "pass --to URL" in nowhere.stderr
    no_secret = hooktui("replay", str(original.id), "--to", server.url, "--resign", "--scheme", "github",
                        "--db", db, cwd=tmp_path)  # the route's secret is stripe's: not used for github
    assert no_secret.returncode == 2 and "re-signing as github needs its secret" in no_secret.stderr
