"""The event catalogue: every template is listed by `hooktui templates`, shaped like the provider's event, and
signed so that the provider's own verifier (stripe's library, GitHub's documented HMAC, Shopify's documented
base64 HMAC, slack_sdk) accepts it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import stripe
from slack_sdk.signature import SignatureVerifier

from hookdeck_tui.forge.build import ForgeSpec, forge
from hookdeck_tui.forge.templates import TEMPLATES, get_template
from tests.receiver import Receiver
from tests.test_forge import hooktui

STRIPE_SECRET = "whsec_test_catalogue"


def _names(prefix: str) -> list[str]:
    return [name for name in TEMPLATES if name.startswith(prefix + ".")]


def _forged(name: str, secret: str):
    return forge(ForgeSpec(get_template(name), "http://127.0.0.1:4000", secret=secret))


def test_the_catalogue_covers_the_providers_common_events() -> None:
    listed = {t["name"]: t for t in json.loads(hooktui("templates", "--json").stdout)}
    stripe_events = [n for n in listed if n.startswith("stripe.") and n != "stripe.event"]
    assert len(stripe_events) >= 20
    assert {"stripe.invoice.paid", "stripe.checkout.session.completed", "stripe.customer.subscription.deleted",
            "stripe.payment_intent.payment_failed"} <= set(listed)
    assert len([n for n in listed if n.startswith("github.")]) >= 10
    assert len([n for n in listed if n.startswith("shopify.")]) >= 8
    assert {"slack.app_mention", "slack.message", "slack.command", "slack.url_verification"} <= set(listed)


@pytest.mark.parametrize("name", [n for n in _names("stripe") if n != "stripe.event"])
def test_every_stripe_event_is_accepted_by_stripes_library(name: str) -> None:
    forged = _forged(name, STRIPE_SECRET)
    event = stripe.Webhook.construct_event(forged.request.body.decode(), forged.request.header("Stripe-Signature"),
                                           STRIPE_SECRET)
    assert event["type"] == name.removeprefix("stripe.") and event["object"] == "event"
    assert event["id"].startswith("evt_")
    kind = event["type"].rsplit(".", 1)[0]
    expected = {"customer.subscription": "subscription", "charge.dispute": "dispute"}.get(kind, kind)
    assert event["data"]["object"]["object"] == expected


@pytest.mark.parametrize("name", _names("github"))
def test_every_github_event_verifies_as_githubs_docs_describe(name: str) -> None:
    forged = _forged(name, "It's a Secret to Everybody")
    request = forged.request
    # https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    expected = "sha256=" + hmac.new(b"It's a Secret to Everybody", request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, request.header("X-Hub-Signature-256"))
    assert request.header("X-GitHub-Event") == name.removeprefix("github.")
    assert request.header("X-GitHub-Delivery") and json.loads(request.body)["repository"]["full_name"]


@pytest.mark.parametrize("name", _names("shopify"))
def test_every_shopify_topic_verifies_as_shopifys_docs_describe(name: str) -> None:
    request = _forged(name, "shpss_secret").request
    # https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
    expected = base64.b64encode(hmac.new(b"shpss_secret", request.body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(expected, request.header("X-Shopify-Hmac-Sha256"))
    assert request.header("X-Shopify-Topic") == name.removeprefix("shopify.")
    assert request.header("X-Shopify-Shop-Domain").endswith(".myshopify.com")


@pytest.mark.parametrize("name", _names("slack"))
def test_every_slack_event_is_accepted_by_slack_sdk(name: str) -> None:
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    request = _forged(name, secret).request
    assert SignatureVerifier(secret).is_valid(request.body, request.header("X-Slack-Request-Timestamp"),
                                              request.header("X-Slack-Signature"))
    if name == "slack.command":
        assert parse_qs(request.body.decode())["command"] == ["/weather"]
    elif name == "slack.url_verification":
        assert json.loads(request.body)["type"] == "url_verification"
    else:
        body = json.loads(request.body)
        assert body["type"] == "event_callback" and body["event"]["type"] == name.removeprefix("slack.")


async def test_send_a_catalogue_event_like_stripe_trigger(tmp_path: Path) -> None:
    app = Receiver()
    await app.start()
    try:
        result = await asyncio.to_thread(hooktui, "send", "-t", "stripe.invoice.paid", "--db",
                                         str(tmp_path / "t.db"), app.server.url, cwd=tmp_path,
                                         env={"STRIPE_WEBHOOK_SECRET": STRIPE_SECRET, "HOOKTUI_SECRET": ""})
    finally:
        await app.stop()
    assert result.returncode == 0, result.stderr
    (request,) = app.requests
    assert request.path == "/webhooks/stripe"
    event = stripe.Webhook.construct_event(request.body.decode(), dict(request.headers)["stripe-signature"],
                                           STRIPE_SECRET)
    assert event["type"] == "invoice.paid" and event["data"]["object"]["status"] == "paid"
