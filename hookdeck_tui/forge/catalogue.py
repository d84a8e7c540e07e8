"""A catalogue of provider event types, so `hooktui send -t stripe.invoice.paid` works like `stripe trigger
invoice.paid`: each body has the shape of the provider's published examples (its ids, object types and `type`
field; trimmed to the fields apps read most), and each request carries the provider's headers besides the
signature (GitHub's `X-GitHub-Event`, Shopify's `X-Shopify-Topic`, …). Fresh ids and the current time each call.

Shapes from: https://docs.stripe.com/api/events/types and the object references it links;
https://docs.github.com/en/webhooks/webhook-events-and-payloads; https://shopify.dev/docs/api/webhooks;
https://api.slack.com/events (the Events API's `event_callback` envelope).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hookdeck_tui.forge.templates import Template

Body = dict[str, Any]


def _iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _id(prefix: str, size: int = 12) -> str:
    return f"{prefix}_{secrets.token_hex(size)}"


# --- Stripe ------------------------------------------------------------------------------------------------

_CUSTOMER = "cus_hooktui"


def _payment_intent(now: float, status: str = "succeeded") -> Body:
    intent = {"id": _id("pi"), "object": "payment_intent", "amount": 2000, "amount_received": 2000 if
              status == "succeeded" else 0, "currency": "usd", "customer": _CUSTOMER, "status": status,
              "created": int(now), "livemode": False, "latest_charge": _id("ch"), "payment_method": _id("pm"),
              "metadata": {"order_id": "6735"}}
    if status == "requires_payment_method":
        intent["last_payment_error"] = {"code": "card_declined", "decline_code": "generic_decline",
                                        "message": "Your card was declined.", "type": "card_error"}
    return intent


def _charge(now: float, status: str = "succeeded", refunded: bool = False) -> Body:
    return {"id": _id("ch"), "object": "charge", "amount": 2000, "amount_captured": 2000 if status == "succeeded"
            else 0, "amount_refunded": 2000 if refunded else 0, "currency": "usd", "customer": _CUSTOMER,
            "paid": status == "succeeded", "refunded": refunded, "status": status, "captured": status == "succeeded",
            "payment_intent": _id("pi"), "created": int(now), "livemode": False,
            "failure_code": "card_declined" if status == "failed" else None,
            "failure_message": "Your card was declined." if status == "failed" else None, "metadata": {}}


def _checkout_session(now: float, status: str = "complete") -> Body:
    return {"id": f"cs_test_{secrets.token_hex(24)}", "object": "checkout.session", "mode": "payment",
            "status": status, "payment_status": "paid" if status == "complete" else "unpaid",
            "amount_total": 2000, "currency": "usd", "customer": _CUSTOMER, "payment_intent": _id("pi")
            if status == "complete" else None, "client_reference_id": "order_6735", "created": int(now),
            "expires_at": int(now) + 86400, "livemode": False, "success_url": "https://example.com/success",
            "metadata": {}}


def _customer(now: float) -> Body:
    return {"id": _CUSTOMER, "object": "customer", "email": "jenny.rosen@example.com", "name": "Jenny Rosen",
            "created": int(now), "currency": "usd", "delinquent": False, "livemode": False, "metadata": {}}


def _subscription(now: float, status: str = "active") -> Body:
    item = {"id": _id("si"), "object": "subscription_item", "quantity": 1,
            "price": {"id": "price_hooktui_monthly", "object": "price", "unit_amount": 2000, "currency": "usd",
                      "recurring": {"interval": "month", "interval_count": 1}, "product": "prod_hooktui"}}
    return {"id": _id("sub"), "object": "subscription", "customer": _CUSTOMER, "status": status,
            "cancel_at_period_end": False, "canceled_at": int(now) if status == "canceled" else None,
            "current_period_start": int(now), "current_period_end": int(now) + 30 * 86400, "created": int(now),
            "trial_end": int(now) + 3 * 86400 if status == "trialing" else None, "livemode": False,
            "items": {"object": "list", "data": [item], "has_more": False}, "metadata": {}}


def _invoice(now: float, status: str = "paid") -> Body:
    paid = status == "paid"
    return {"id": _id("in"), "object": "invoice", "customer": _CUSTOMER, "subscription": _id("sub"),
            "status": status, "paid": paid, "amount_due": 2000, "amount_paid": 2000 if paid else 0,
            "amount_remaining": 0 if paid else 2000, "currency": "usd", "attempt_count": 1 if status != "draft" else 0,
            "billing_reason": "subscription_cycle", "number": None if status == "draft" else "HOOKTUI-0001",
            "hosted_invoice_url": None if status == "draft" else "https://invoice.stripe.com/i/acct_test/test",
            "created": int(now), "period_start": int(now) - 30 * 86400, "period_end": int(now), "livemode": False,
            "metadata": {}}


def _payment_method(now: float) -> Body:
    return {"id": _id("pm"), "object": "payment_method", "type": "card", "customer": _CUSTOMER,
            "card": {"brand": "visa", "last4": "4242", "exp_month": 8, "exp_year": 2030, "country": "US"},
            "created": int(now), "livemode": False, "metadata": {}}


def _dispute(now: float) -> Body:
    return {"id": _id("du"), "object": "dispute", "amount": 2000, "currency": "usd", "charge": _id("ch"),
            "payment_intent": _id("pi"), "reason": "fraudulent", "status": "needs_response", "created": int(now),
            "evidence_details": {"due_by": int(now) + 7 * 86400, "has_evidence": False, "submission_count": 0},
            "livemode": False, "metadata": {}}


def _setup_intent(now: float) -> Body:
    return {"id": _id("seti"), "object": "setup_intent", "customer": _CUSTOMER, "status": "succeeded",
            "payment_method": _id("pm"), "usage": "off_session", "created": int(now), "livemode": False,
            "metadata": {}}


def _product(now: float) -> Body:
    return {"id": "prod_hooktui", "object": "product", "name": "hooktui Pro", "active": True, "created": int(now),
            "default_price": "price_hooktui_monthly", "livemode": False, "metadata": {}}


def _price(now: float) -> Body:
    return {"id": "price_hooktui_monthly", "object": "price", "product": "prod_hooktui", "active": True,
            "unit_amount": 2000, "currency": "usd", "type": "recurring",
            "recurring": {"interval": "month", "interval_count": 1}, "created": int(now), "livemode": False,
            "metadata": {}}


# event type → (its data.object, previous_attributes for an `*.updated` event)
_STRIPE: dict[str, tuple[Callable[[float], Body], Body | None]] = {
    "payment_intent.succeeded": (_payment_intent, None),
    "payment_intent.created": (lambda now: _payment_intent(now, "requires_payment_method") | {
        "last_payment_error": None}, None),
    "payment_intent.payment_failed": (lambda now: _payment_intent(now, "requires_payment_method"), None),
    "payment_intent.canceled": (lambda now: _payment_intent(now, "canceled"), None),
    "charge.succeeded": (_charge, None),
    "charge.failed": (lambda now: _charge(now, "failed"), None),
    "charge.refunded": (lambda now: _charge(now, refunded=True), None),
    "charge.dispute.created": (_dispute, None),
    "checkout.session.completed": (_checkout_session, None),
    "checkout.session.expired": (lambda now: _checkout_session(now, "expired"), None),
    "customer.created": (_customer, None),
    "customer.updated": (_customer, {"email": "jenny@example.com"}),
    "customer.deleted": (lambda now: _customer(now) | {"deleted": True}, None),
    "customer.subscription.created": (lambda now: _subscription(now, "incomplete"), None),
    "customer.subscription.updated": (_subscription, {"status": "incomplete"}),
    "customer.subscription.deleted": (lambda now: _subscription(now, "canceled"), None),
    "customer.subscription.trial_will_end": (lambda now: _subscription(now, "trialing"), None),
    "invoice.created": (lambda now: _invoice(now, "draft"), None),
    "invoice.finalized": (lambda now: _invoice(now, "open"), None),
    "invoice.paid": (_invoice, None),
    "invoice.payment_succeeded": (_invoice, None),
    "invoice.payment_failed": (lambda now: _invoice(now, "open"), None),
    "invoice.upcoming": (lambda now: _invoice(now, "draft") | {"id": None}, None),
    "payment_method.attached": (_payment_method, None),
    "setup_intent.succeeded": (_setup_intent, None),
    "product.created": (_product, None),
    "price.created": (_price, None),
}


def _stripe_builder(event_type: str) -> Callable[[float], Body]:
    make, previous = _STRIPE[event_type]

    def build(now: float) -> Body:
        data: Body = {"object": make(now)}
        if previous is not None:
            data["previous_attributes"] = previous
        return {"id": _id("evt"), "object": "event", "api_version": "2024-06-20", "created": int(now),
                "data": data, "livemode": False, "pending_webhooks": 1,
                "request": {"id": _id("req", 7), "idempotency_key": str(uuid.uuid4())}, "type": event_type}
    return build


def _stripe_headers(body: Body) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json; charset=utf-8"),
            ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")]


# --- GitHub ------------------------------------------------------------------------------------------------

_REPOSITORY = {"id": 1296269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": "hello-world",
               "full_name": "octocat/hello-world", "private": False, "owner": {"login": "octocat", "id": 1},
               "html_url": "https://github.com/octocat/hello-world", "default_branch": "main"}
_SENDER = {"login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User"}


def _issue(now: float, number: int = 1347) -> Body:
    return {"id": 1, "number": number, "title": "Webhook handler drops retried deliveries", "state": "open",
            "user": _SENDER, "labels": [{"name": "bug"}], "comments": 0, "created_at": _iso(now),
            "updated_at": _iso(now), "html_url": f"https://github.com/octocat/hello-world/issues/{number}",
            "body": "A retry with the same X-GitHub-Delivery is processed twice."}


def _pull_request(now: float) -> Body:
    head = secrets.token_hex(20)
    return {"id": 1, "number": 1348, "title": "Deduplicate deliveries by id", "state": "open", "draft": False,
            "merged": False, "user": _SENDER, "created_at": _iso(now), "updated_at": _iso(now),
            "head": {"ref": "dedupe", "sha": head, "repo": _REPOSITORY},
            "base": {"ref": "main", "sha": secrets.token_hex(20), "repo": _REPOSITORY},
            "html_url": "https://github.com/octocat/hello-world/pull/1348"}


def _workflow_run(now: float) -> Body:
    return {"id": 30433642, "name": "CI", "event": "push", "status": "completed", "conclusion": "success",
            "head_branch": "main", "head_sha": secrets.token_hex(20), "run_number": 562, "run_attempt": 1,
            "workflow_id": 159038, "created_at": _iso(now), "updated_at": _iso(now),
            "html_url": "https://github.com/octocat/hello-world/actions/runs/30433642"}


_GITHUB: dict[str, Callable[[float], Body]] = {
    "ping": lambda now: {"zen": "Keep it logically awesome.", "hook_id": 123456789,
                         "hook": {"type": "Repository", "id": 123456789, "active": True, "events": ["*"],
                                  "config": {"content_type": "json", "insecure_ssl": "0",
                                             "url": "https://example.com/webhooks/github"}}},
    "pull_request": lambda now: {"action": "opened", "number": 1348, "pull_request": _pull_request(now)},
    "pull_request_review": lambda now: {"action": "submitted", "pull_request": _pull_request(now),
                                        "review": {"id": 80, "state": "approved", "user": _SENDER,
                                                   "body": "Looks right.", "submitted_at": _iso(now)}},
    "issues": lambda now: {"action": "opened", "issue": _issue(now)},
    "issue_comment": lambda now: {"action": "created", "issue": _issue(now),
                                  "comment": {"id": 1, "user": _SENDER, "body": "Reproduced with hooktui.",
                                              "created_at": _iso(now), "updated_at": _iso(now)}},
    "release": lambda now: {"action": "published",
                            "release": {"id": 1, "tag_name": "v1.0.0", "name": "v1.0.0", "draft": False,
                                        "prerelease": False, "target_commitish": "main", "author": _SENDER,
                                        "created_at": _iso(now), "published_at": _iso(now)}},
    "create": lambda now: {"ref": "dedupe", "ref_type": "branch", "master_branch": "main",
                           "description": None, "pusher_type": "user"},
    "delete": lambda now: {"ref": "dedupe", "ref_type": "branch", "pusher_type": "user"},
    "workflow_run": lambda now: {"action": "completed", "workflow_run": _workflow_run(now),
                                 "workflow": {"id": 159038, "name": "CI", "path": ".github/workflows/ci.yml"}},
    "star": lambda now: {"action": "created", "starred_at": _iso(now)},
    "fork": lambda now: {"forkee": _REPOSITORY | {"id": 1296270, "full_name": "hubot/hello-world",
                                                  "owner": {"login": "hubot", "id": 2}, "fork": True}},
}


def _github_builder(event: str) -> Callable[[float], Body]:
    def build(now: float) -> Body:
        return _GITHUB[event](now) | {"repository": _REPOSITORY, "sender": _SENDER}
    return build


def _github_headers(event: str) -> Callable[[Body], list[tuple[str, str]]]:
    def headers(body: Body) -> list[tuple[str, str]]:
        return [("Content-Type", "application/json"), ("User-Agent", "GitHub-Hookshot/hooktui"),
                ("X-GitHub-Event", event), ("X-GitHub-Delivery", str(uuid.uuid4())),
                ("X-GitHub-Hook-ID", "123456789"), ("X-GitHub-Hook-Installation-Target-Type", "repository"),
                ("X-GitHub-Hook-Installation-Target-ID", str(_REPOSITORY["id"]))]
    return headers


# --- Shopify -----------------------------------------------------------------------------------------------

_SHOP = "hooktui-test.myshopify.com"


def _order(now: float, financial: str = "paid", fulfillment: str | None = None, cancelled: bool = False) -> Body:
    number = 1000 + secrets.randbelow(9000)
    return {"id": 820982911946154508 + secrets.randbelow(10**6),
            "admin_graphql_api_id": "gid://shopify/Order/820982911946154508", "name": f"#{number}",
            "order_number": number, "email": "jon@example.com", "created_at": _iso(now), "updated_at": _iso(now),
            "currency": "USD", "total_price": "20.00", "subtotal_price": "20.00", "total_tax": "0.00",
            "financial_status": financial, "fulfillment_status": fulfillment,
            "cancelled_at": _iso(now) if cancelled else None, "cancel_reason": "customer" if cancelled else None,
            "customer": {"id": 115310627314723954, "email": "jon@example.com", "first_name": "Jon",
                         "last_name": "Doe"},
            "line_items": [{"id": 866550311766439020, "product_id": 788032119674292922, "title": "Webhook mug",
                            "quantity": 1, "price": "20.00", "sku": "MUG-1"}]}


def _shopify_product(now: float) -> Body:
    return {"id": 788032119674292922, "admin_graphql_api_id": "gid://shopify/Product/788032119674292922",
            "title": "Webhook mug", "handle": "webhook-mug", "status": "active", "vendor": "hooktui",
            "product_type": "Mugs", "created_at": _iso(now), "updated_at": _iso(now),
            "variants": [{"id": 642667041472713922, "price": "20.00", "sku": "MUG-1", "inventory_quantity": 12}]}


_SHOPIFY: dict[str, Callable[[float], Body]] = {
    "orders/create": lambda now: _order(now, "pending"),
    "orders/updated": _order,
    "orders/paid": _order,
    "orders/fulfilled": lambda now: _order(now, fulfillment="fulfilled"),
    "orders/cancelled": lambda now: _order(now, "refunded", cancelled=True),
    "products/create": _shopify_product,
    "products/update": _shopify_product,
    "customers/create": lambda now: {"id": 706405506930370084, "email": "bob@example.com", "first_name": "Bob",
                                     "last_name": "Norman", "state": "enabled", "created_at": _iso(now),
                                     "updated_at": _iso(now), "verified_email": True},
    "app/uninstalled": lambda now: {"id": 548380009, "name": "hooktui test shop", "domain": _SHOP,
                                    "myshopify_domain": _SHOP, "email": "owner@example.com"},
}


def _shopify_headers(topic: str) -> Callable[[Body], list[tuple[str, str]]]:
    def headers(body: Body) -> list[tuple[str, str]]:
        now = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        return [("Content-Type", "application/json"), ("User-Agent", "Shopify-Captain-Hook"),
                ("X-Shopify-Topic", topic), ("X-Shopify-Shop-Domain", _SHOP), ("X-Shopify-API-Version", "2024-07"),
                ("X-Shopify-Webhook-Id", str(uuid.uuid4())), ("X-Shopify-Event-Id", str(uuid.uuid4())),
                ("X-Shopify-Triggered-At", now)]
    return headers


# --- Slack -------------------------------------------------------------------------------------------------

def _ts(now: float) -> str:
    return f"{now:.6f}"


_SLACK: dict[str, tuple[str, Callable[[float], Body]]] = {
    "app_mention": ("someone mentions the app", lambda now: {
        "type": "app_mention", "user": "U061F7AUR", "text": "<@U0LAN0Z89> is it everything a river should be?",
        "ts": _ts(now), "channel": "C0LAN2Q65", "event_ts": _ts(now)}),
    "message": ("a message in a channel the app is in (message.channels)", lambda now: {
        "type": "message", "channel": "C2147483705", "user": "U2147483697", "text": "Hello world",
        "ts": _ts(now), "channel_type": "channel", "event_ts": _ts(now)}),
    "reaction_added": ("a reaction added to a message", lambda now: {
        "type": "reaction_added", "user": "U024BE7LH", "reaction": "thumbsup", "item_user": "U0G9QF9C6",
        "item": {"type": "message", "channel": "C0G9QF9GZ", "ts": "1360782400.498405"}, "event_ts": _ts(now)}),
    "team_join": ("a new member joins the workspace", lambda now: {
        "type": "team_join", "user": {"id": "U0G9QF9C6", "name": "jenny", "real_name": "Jenny Rosen",
                                      "is_bot": False}, "event_ts": _ts(now)}),
    "app_home_opened": ("a user opens the app's Home tab", lambda now: {
        "type": "app_home_opened", "user": "U061F7AUR", "channel": "D0LAN2Q65", "tab": "home",
        "event_ts": _ts(now)}),
}


def _slack_builder(event: str) -> Callable[[float], Body]:
    def build(now: float) -> Body:
        return {"token": "example-verification-token", "team_id": "T0001", "api_app_id": "A0KRD7HC3",
                "event": _SLACK[event][1](now), "type": "event_callback", "event_id": f"Ev{secrets.token_hex(5)}",
                "event_time": int(now), "event_context": f"4-{secrets.token_hex(16)}",
                "authorizations": [{"team_id": "T0001", "user_id": "U0LAN0Z89", "is_bot": True}]}
    return build


def _slack_url_verification(now: float) -> Body:
    return {"token": "example-verification-token", "challenge": secrets.token_urlsafe(36),
            "type": "url_verification"}


def _json_headers(body: Body) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json"), ("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")]


def catalogue() -> list[Template]:
    """Every catalogue template, in a stable order (`hooktui templates` lists them after the built-in ones)."""
    from hookdeck_tui.forge.templates import Template  # templates.py adds these to its own: imported late

    made = [Template(f"stripe.{kind}", f"Stripe {kind}", "stripe", "/webhooks/stripe", _stripe_builder(kind),
                     headers=_stripe_headers) for kind in _STRIPE]
    made += [Template(f"github.{event}", f"GitHub {event} (X-GitHub-Event: {event})", "github", "/webhooks/github",
                      _github_builder(event), headers=_github_headers(event)) for event in _GITHUB]
    made += [Template(f"shopify.{topic}", f"Shopify {topic} (X-Shopify-Topic)", "shopify", "/webhooks/shopify",
                      _SHOPIFY[topic], headers=_shopify_headers(topic)) for topic in _SHOPIFY]
    made += [Template(f"slack.{event}", f"Slack Events API: {what}", "slack", "/slack/events",
                      _slack_builder(event), headers=_json_headers) for event, (what, _) in _SLACK.items()]
    made.append(Template("slack.url_verification", "Slack's Request URL handshake (answered with its challenge)",
                         "slack", "/slack/events", _slack_url_verification, headers=_json_headers))
    return made
