"""The event templates `hooktui send --template NAME` and the forge screen start from. Each builds a fresh,
realistic body (new ids, the current time) the way the provider sends it, and names the scheme that signs it and
the headers the provider adds besides the signature."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hookdeck_tui.forge.catalogue import catalogue  # it imports Template from here only when called, below


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    scheme: str | None  # None: sent unsigned unless a scheme is chosen
    path: str  # where the provider's docs suggest the app receives it
    build: Callable[[float], dict[str, Any]]
    form: bool = False  # an urlencoded form body (Slack commands) instead of JSON
    headers: Callable[[dict[str, Any]], list[tuple[str, str]]] = field(default=lambda body: [])
    round_trip: bool = False  # the event carries a callback_url the console answers (ModelRiver)


def _iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _modelriver_ai_generated(now: float) -> dict[str, Any]:
    channel = str(uuid.uuid4())
    return {
        "type": "task.ai_generated",
        "event": "content_ready",
        "channel_id": channel,
        "ai_response": {"data": {
            "title": "Five ways to cut webhook latency",
            "description": "Answer fast, queue the work, call back when done.",
            "body": "1. Acknowledge before processing. 2. Verify the signature on the raw body. 3. ...",
            "tags": ["webhooks", "performance"],
        }},
        "callback_url": f"https://api.modelriver.com/v1/callbacks/{channel}",
        "callback_required": True,  # this and `timestamp` are hooktui's additions: no guide reads them
        "customer_data": {"user_id": "user_42", "category": "engineering"},
        "meta": {"provider": "openai", "model": "gpt-4o-mini"},
        "timestamp": _iso(now),
    }


def _modelriver_completed(now: float) -> dict[str, Any]:
    """hooktui's own example of a non-callback ModelRiver event; the integration guides show no such event."""
    return {
        "type": "task.completed",
        "workflow": "article-writer",
        "status": "success",
        "channel_id": str(uuid.uuid4()),
        "data": {"title": "Five ways to cut webhook latency", "word_count": 812},
        "meta": {"provider": "openai", "model": "gpt-4o-mini", "tokens": {"prompt": 312, "completion": 1024},
                 "duration_ms": 4180},
        "customer_data": {"user_id": "user_42", "category": "engineering"},
        "timestamp": _iso(now),
    }


def _modelriver_headers(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json"), ("User-Agent", "ModelRiver-Webhooks/1.0")]


def _github_push(now: float) -> dict[str, Any]:
    after = secrets.token_hex(20)
    user = {"name": "octocat", "email": "octocat@github.com", "username": "octocat"}
    return {
        "ref": "refs/heads/main",
        "before": secrets.token_hex(20),
        "after": after,
        "repository": {"id": 1296269, "name": "hello-world", "full_name": "octocat/hello-world", "private": False,
                       "html_url": "https://github.com/octocat/hello-world", "default_branch": "main"},
        "pusher": {"name": "octocat", "email": "octocat@github.com"},
        "sender": {"login": "octocat", "id": 1, "type": "User"},
        "created": False, "deleted": False, "forced": False,
        "compare": f"https://github.com/octocat/hello-world/compare/{after[:12]}",
        "commits": [{"id": after, "message": "Fix the webhook handler", "timestamp": _iso(now), "author": user,
                     "committer": user, "added": [], "removed": [], "modified": ["app/webhooks.py"]}],
        "head_commit": {"id": after, "message": "Fix the webhook handler", "timestamp": _iso(now)},
    }


def _github_headers(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json"), ("User-Agent", "GitHub-Hookshot/hooktui"),
            ("X-GitHub-Event", "push"), ("X-GitHub-Delivery", str(uuid.uuid4())),
            ("X-GitHub-Hook-ID", "123456789")]


def _stripe_event(now: float) -> dict[str, Any]:
    return {
        "id": f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(now),
        "type": "payment_intent.succeeded",
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": f"req_{secrets.token_hex(7)}", "idempotency_key": str(uuid.uuid4())},
        "data": {"object": {"id": f"pi_{secrets.token_hex(12)}", "object": "payment_intent", "amount": 2000,
                            "currency": "usd", "status": "succeeded", "customer": "cus_hooktui",
                            "metadata": {"order_id": "6735"}}},
    }


def _stripe_headers(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json; charset=utf-8"),
            ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")]


def _slack_command(now: float) -> dict[str, Any]:
    return {
        "token": "example-verification-token",  # deprecated by Slack; apps should check the signature
        "team_id": "T0001", "team_domain": "example", "enterprise_id": "", "enterprise_name": "",
        "channel_id": "C2147483705", "channel_name": "test",
        "user_id": "U2147483697", "user_name": "steve",
        "command": "/weather", "text": "94070",
        "api_app_id": "A123456",
        "response_url": "https://hooks.slack.com/commands/1234/5678",
        "trigger_id": f"{int(now)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}",
    }


def _slack_headers(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Content-Type", "application/x-www-form-urlencoded"),
            ("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")]


def _standard_event(now: float) -> dict[str, Any]:
    return {"type": "invoice.paid", "timestamp": _iso(now),
            "data": {"invoice_id": f"inv_{secrets.token_hex(8)}", "amount": 4200, "currency": "EUR"}}


def _json_headers(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json")]


def _generic(now: float) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "event": "example.created", "created_at": _iso(now),
            "data": {"message": "hello from hooktui"}}


TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("modelriver.task_ai_generated", "ModelRiver AI result to save; calls back the console (round trip)",
             "modelriver", "/webhooks/modelriver", _modelriver_ai_generated, headers=_modelriver_headers,
             round_trip=True),
    Template("modelriver.task_completed", "a workflow-finished event with tokens and duration (hooktui's example)",
             "modelriver", "/webhooks/modelriver", _modelriver_completed, headers=_modelriver_headers),
    Template("github.push", "GitHub push to octocat/hello-world main", "github", "/webhooks/github",
             _github_push, headers=_github_headers),
    Template("stripe.event", "Stripe payment_intent.succeeded", "stripe", "/webhooks/stripe", _stripe_event,
             headers=_stripe_headers),
    Template("slack.command", "Slack slash command /weather (form body)", "slack", "/slack/commands",
             _slack_command, form=True, headers=_slack_headers),
    Template("standard-webhooks.event", "Standard Webhooks (Svix) invoice.paid", "standard-webhooks",
             "/webhooks", _standard_event, headers=_json_headers),
    Template("generic.json", "Plain JSON, unsigned unless --scheme is given", None, "/webhooks", _generic,
             headers=_json_headers),
)}

TEMPLATES.update((t.name, t) for t in catalogue() if t.name not in TEMPLATES)

ALIASES = {"modelriver": "modelriver.task_ai_generated", "github": "github.push", "stripe": "stripe.event",
           "slack": "slack.command", "standard-webhooks": "standard-webhooks.event", "svix": "standard-webhooks.event",
           "generic": "generic.json", "json": "generic.json"}


class UnknownTemplate(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no template {name!r}; `hooktui templates` lists them: {', '.join(TEMPLATES)}")


def get_template(name: str) -> Template:
    template = TEMPLATES.get(name) or TEMPLATES.get(ALIASES.get(name, ""))
    if template is None:
        raise UnknownTemplate(name)
    return template
