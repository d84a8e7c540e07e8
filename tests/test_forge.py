"""Forge templates: every template signs correctly as the signatures module and the providers' official libraries
check it; `--set` overrides really apply (nested paths, typed values); the broken variants break in the way they
say; `hooktui send` against a real receiver that verifies signatures exits by what the app did."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import standardwebhooks
import stripe
import svix.webhooks
from slack_sdk.signature import SignatureVerifier

from hookdeck_tui.forge.build import ForgeError, ForgeSpec, forge
from hookdeck_tui.forge.overrides import OverrideError, apply, parse_assignment
from hookdeck_tui.forge.templates import TEMPLATES, UnknownTemplate, get_template
from hookdeck_tui.signatures import SchemeOptions, SignedRequest, get_scheme, verify_request

SECRETS = {"modelriver": "mr_whsec_demo", "github": "gh-secret", "stripe": "whsec_stripe_demo",
           "slack": "8f742231b10e8888abcd99yyyzzz85a5", "standard-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
           "shopify": "shpss_demo"}


def forged(name: str, **kwargs):
    template = get_template(name)
    secret = SECRETS.get(template.scheme or "", "generic-secret")
    return forge(ForgeSpec(template, "http://127.0.0.1:4000", secret=kwargs.pop("secret", secret), **kwargs))


def verdict_with(result, secret: str):
    request = result.request
    return verify_request(SignedRequest(request.body, request.headers, request.url),
                          scheme=get_scheme(result.scheme, SchemeOptions(signed_content="{timestamp}.{body}")),
                          secrets=[secret])


def verdict(result, secret: str):
    request = result.request
    return verify_request(SignedRequest(request.body, request.headers, request.url), scheme=result.scheme,
                          secrets=[secret])


@pytest.mark.parametrize("name", [n for n, t in TEMPLATES.items() if t.scheme])
def test_every_signed_template_verifies_with_the_signatures_module(name: str) -> None:
    result = forged(name)
    check = verdict(result, SECRETS[result.scheme])
    assert check.status == "valid", check.reason
    assert result.request.url == "http://127.0.0.1:4000" + TEMPLATES[name].path
    detected = verify_request(SignedRequest(result.request.body, result.request.headers),
                              secrets=[SECRETS[result.scheme]])
    assert (detected.scheme, detected.status) == (result.scheme, "valid")  # the headers identify the provider


def test_stripe_template_is_accepted_by_the_stripe_library() -> None:
    result = forged("stripe.event")
    event = stripe.Webhook.construct_event(result.request.body.decode(), result.request.header("Stripe-Signature"),
                                           SECRETS["stripe"])
    assert event["type"] == "payment_intent.succeeded" and event["data"]["object"]["amount"] == 2000


def test_standard_webhooks_template_is_accepted_by_standardwebhooks_and_svix() -> None:
    result = forged("standard-webhooks.event")
    headers = dict(result.request.headers)
    payload = standardwebhooks.Webhook(SECRETS["standard-webhooks"]).verify(result.request.body.decode(), headers)
    assert payload["type"] == "invoice.paid"
    svix_headers = {k.replace("webhook-", "svix-"): v for k, v in headers.items()}
    svix.webhooks.Webhook(SECRETS["standard-webhooks"]).verify(result.request.body, svix_headers)  # raises if not
    with pytest.raises(svix.webhooks.WebhookVerificationError):
        svix.webhooks.Webhook(SECRETS["standard-webhooks"]).verify(result.request.body + b" ", svix_headers)


def test_slack_template_is_a_form_body_the_slack_sdk_accepts() -> None:
    result = forged("slack.command", sets=["text=rain in Berlin"])
    request = result.request
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert parse_qs(request.body.decode())["text"] == ["rain in Berlin"]
    assert SignatureVerifier(SECRETS["slack"]).is_valid(request.body.decode(),
                                                        request.header("X-Slack-Request-Timestamp"),
                                                        request.header("X-Slack-Signature"))


def test_github_push_carries_the_event_headers() -> None:
    request = forged("github.push").request
    assert request.header("X-GitHub-Event") == "push" and request.header("X-GitHub-Delivery")
    assert request.header("X-Hub-Signature-256").startswith("sha256=")


def test_modelriver_event_points_its_callback_at_the_console_and_names_its_channel() -> None:
    result = forged("modelriver.task_ai_generated", callback_base="http://127.0.0.1:8090")
    body = json.loads(result.request.body)
    assert body["type"] == "task.ai_generated" and body["callback_required"] is True
    assert body["callback_url"] == f"http://127.0.0.1:8090/_hooktui/callback/{result.channel_id}"
    assert body["channel_id"] == result.channel_id == result.request.header("mr-channel-id")
    assert set(body) >= {"type", "event", "channel_id", "ai_response", "callback_url", "callback_required",
                         "customer_data", "meta", "timestamp"}
    completed = json.loads(forged("modelriver.task_completed").request.body)
    assert set(completed) == {"type", "workflow", "status", "channel_id", "data", "meta", "customer_data", "timestamp"}
    assert set(completed["meta"]) == {"provider", "model", "tokens", "duration_ms"}


def test_generic_json_is_unsigned_unless_a_scheme_is_chosen() -> None:
    plain = forged("generic.json")
    assert plain.scheme is None and not any("signature" in k.lower() for k, _ in plain.request.headers)
    signed = forged("generic.json", scheme="github", secret="s")
    assert verdict(signed, "s").status == "valid"


def test_set_overrides_apply_with_types_and_nested_paths() -> None:
    result = forged("modelriver.task_ai_generated", sets=[
        "ai_response.data.title=Hello", "meta.tokens=42", "callback_required=false", "customer_data.tags[0]=x",
        "ai_response.data.tags[-1]=last", "extra.deep.value=null", 'customer_data.user_id="007"'])
    body = json.loads(result.request.body)
    assert body["ai_response"]["data"]["title"] == "Hello"
    assert body["meta"]["tokens"] == 42 and body["callback_required"] is False
    assert body["ai_response"]["data"]["tags"] == ["webhooks", "last"]
    assert body["extra"] == {"deep": {"value": None}} and body["customer_data"]["user_id"] == "007"
    assert body["customer_data"]["tags"] == ["x"]
    assert verdict(result, SECRETS["modelriver"]).status == "valid"  # signed after the overrides


def test_set_channel_id_and_callback_url_win_over_the_defaults() -> None:
    result = forged("modelriver.task_ai_generated", callback_base="http://127.0.0.1:8090",
                    sets=["channel_id=ch_fixed", "callback_url=https://example.test/cb"])
    body = json.loads(result.request.body)
    assert result.channel_id == "ch_fixed" and body["callback_url"] == "https://example.test/cb"


@pytest.mark.parametrize(("assignment", "message"), [
    ("noequals", "expected path=value"), ("a..b=1", "is not a path"),
    ("ai_response.data.title[0]=x", "indexes a list, but there is a string"),
    ("ai_response.data.tags[7]=x", "index 7 is outside the list of 2"),
])
def test_bad_overrides_say_which_and_why(assignment: str, message: str) -> None:
    with pytest.raises(OverrideError, match=message.replace("[", r"\[")):
        forged("modelriver.task_ai_generated", sets=[assignment])


def test_override_helpers_read_json_values_else_text() -> None:
    assert parse_assignment("a.b=[1, 2]") == (["a", "b"], [1, 2])
    assert parse_assignment("a=not json") == (["a"], "not json")
    assert apply({"list": [1]}, ["list[1]=2"]) == {"list": [1, 2]}  # one past the end appends


def test_data_replaces_the_template_body_and_sets_still_apply() -> None:
    result = forged("github.push", data={"ref": "refs/heads/dev", "commits": []}, sets=["ref=refs/heads/x"])
    assert json.loads(result.request.body) == {"ref": "refs/heads/x", "commits": []}


def test_bad_signature_variant_is_invalid_and_says_why() -> None:
    result = forged("stripe.event", variant="bad-signature")
    check = verdict(result, SECRETS["stripe"])
    assert check.status == "invalid"
    assert "another secret" in result.notes[0]


def test_tampered_body_variant_is_invalid() -> None:
    result = forged("modelriver.task_ai_generated", variant="tamper-body")
    assert json.loads(result.request.body)["tampered"] is True
    assert verdict(result, SECRETS["modelriver"]).status == "invalid"
    slack = forged("slack.command", variant="tamper-body")
    assert slack.request.body.endswith(b"&tampered=1") and verdict(slack, SECRETS["slack"]).status == "invalid"


def test_stale_variant_is_expired_for_timestamped_schemes_and_explained_for_others() -> None:
    result = forged("stripe.event", variant="stale")
    check = verdict(result, SECRETS["stripe"])
    assert check.status == "expired" and re.search(r"the timestamp is 360[01] s old \(tolerance 300 s\)", check.reason)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(result.request.body.decode(), result.request.header("Stripe-Signature"),
                                       SECRETS["stripe"])
    with pytest.raises(ForgeError, match="--stale cannot apply to modelriver: its signature covers no timestamp"):
        forged("modelriver.task_ai_generated", variant="stale")  # a correct app cannot tell: not its failure
    with pytest.raises(ForgeError, match="--stale cannot apply to github"):
        forged("github.push", variant="stale")
    signed_time = forged("modelriver.task_ai_generated", variant="stale",
                         options=SchemeOptions(signed_content="{timestamp}.{body}"))
    assert int(signed_time.request.header("mr-timestamp")) <= time.time() - 3600
    assert verdict_with(signed_time, SECRETS["modelriver"]).status == "expired"
    with pytest.raises(ForgeError, match="--tamper-body needs a signing scheme"):
        forged("generic.json", variant="tamper-body")  # unsigned: nothing to break


def test_unknown_template_and_missing_secret_are_clear() -> None:
    with pytest.raises(UnknownTemplate, match="hooktui templates"):
        get_template("paypal")
    os.environ.pop("HOOKTUI_SECRET", None)
    with pytest.raises(ForgeError, match=r"needs a secret: --secret SECRET .*\$GITHUB_WEBHOOK_SECRET"):
        forge(ForgeSpec(get_template("github.push"), "http://127.0.0.1:1"))
    with pytest.raises(ForgeError, match="needs a signing scheme"):
        forged("generic.json", variant="bad-signature")


def hooktui(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=60, cwd=cwd)


def test_templates_command_lists_every_template() -> None:
    result = hooktui("templates")
    assert result.returncode == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(TEMPLATES)
    listed = json.loads(hooktui("templates", "--json").stdout)
    assert {t["name"]: t["scheme"] for t in listed}["slack.command"] == "slack"


def test_send_dry_run_prints_the_exact_request(tmp_path: Path) -> None:
    result = hooktui("send", "-t", "github", "--secret", "s", "--set", "ref=refs/heads/dev", "-H", "X-Trace: 1",
                     "--dry-run", "http://127.0.0.1:9/", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    head, _, body = result.stdout.partition("\n\n")
    lines = head.splitlines()
    assert lines[0] == "POST http://127.0.0.1:9/webhooks/github" and "X-Trace: 1" in lines
    headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
    assert verify_request(SignedRequest(body.rstrip("\n").encode(), headers), scheme="github",
                          secrets=["s"]).status == "valid"
    assert json.loads(body)["ref"] == "refs/heads/dev"
    assert not list(tmp_path.iterdir())  # a dry run stores nothing


@pytest.mark.parametrize(("args", "message"), [
    (["-t", "nope"], "no template 'nope'"), (["--set", "x"], "expected path=value"),
    (["-t", "github"], "needs a secret"), (["-t", "github", "--wait", "--secret", "s"], "--wait waits for a callback"),
    (["--data", "missing.json"], "--data missing.json"),
])
def test_send_usage_errors_exit_2_without_a_traceback(args: list[str], message: str, tmp_path: Path) -> None:
    env = dict.fromkeys(("HOOKTUI_SECRET", "GITHUB_WEBHOOK_SECRET"), "")
    result = hooktui("send", *args, "http://127.0.0.1:9", "--db", str(tmp_path / "t.db"), env=env, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
