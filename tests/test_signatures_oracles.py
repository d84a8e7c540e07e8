"""Differential tests against the providers' official libraries: sign with ours and verify with theirs, sign with
theirs and verify with ours, over hypothesis-generated bodies, secrets and timestamps."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import standardwebhooks
import stripe
import svix.webhooks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from hookdeck_tui.signatures import SignedRequest, sign_body, verify_request

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
bodies = st.text(min_size=0, max_size=300)  # the libraries take text; ours takes its UTF-8 bytes
plain_secrets = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)
whsec_secrets = st.binary(min_size=16, max_size=64).map(lambda key: "whsec_" + base64.b64encode(key).decode())
timestamps = st.integers(min_value=1_500_000_000, max_value=2_000_000_000)
message_ids = st.from_regex(r"msg_[A-Za-z0-9]{1,24}", fullmatch=True)


@SETTINGS
@given(body=bodies, secret=plain_secrets, timestamp=timestamps)
def test_stripe_ours_to_theirs_and_back(body: str, secret: str, timestamp: int) -> None:
    secret = "whsec_" + secret
    ours = dict(sign_body(body.encode(), scheme="stripe", secret=secret, timestamp=timestamp))
    header = ours["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(body, header, secret, tolerance=None)
    theirs = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    verdict = verify_request(SignedRequest(body.encode(), [("Stripe-Signature", theirs)]), scheme="stripe",
                             secrets=[secret], now=timestamp)
    assert verdict.status == "valid", verdict.reason


@SETTINGS
@given(body=bodies, secret=plain_secrets, timestamp=timestamps)
def test_stripe_rejects_what_stripe_rejects(body: str, secret: str, timestamp: int) -> None:
    theirs = stripe.WebhookSignature.generate_signature_header(body + "x", "whsec_" + secret, timestamp=timestamp)
    verdict = verify_request(SignedRequest(body.encode(), [("Stripe-Signature", theirs)]), scheme="stripe",
                             secrets=["whsec_" + secret], now=timestamp)
    assert verdict.status == "invalid"


@SETTINGS
@given(body=bodies, secret=whsec_secrets, msg_id=message_ids)
def test_standard_webhooks_ours_to_theirs_and_back(body: str, secret: str, msg_id: str) -> None:
    now = int(time.time())  # their verify judges the timestamp against the real clock
    ours = dict(sign_body(body.encode(), scheme="standard-webhooks", secret=secret, timestamp=now, message_id=msg_id))
    standardwebhooks.Webhook(secret).verify(body, ours, json_parse=False)
    theirs = standardwebhooks.Webhook(secret).sign(msg_id, datetime.fromtimestamp(now, UTC), body)
    headers = [("webhook-id", msg_id), ("webhook-timestamp", str(now)), ("webhook-signature", theirs)]
    verdict = verify_request(SignedRequest(body.encode(), headers), secrets=[secret], now=now)
    assert (verdict.scheme, verdict.status) == ("standard-webhooks", "valid"), verdict.reason


@SETTINGS
@given(body=bodies, secret=whsec_secrets, msg_id=message_ids)
def test_svix_ours_to_theirs_and_back(body: str, secret: str, msg_id: str) -> None:
    now = int(time.time())
    ours = dict(sign_body(body.encode(), scheme="svix", secret=secret, timestamp=now, message_id=msg_id))
    assert set(ours) == {"svix-id", "svix-timestamp", "svix-signature"}
    svix.webhooks.Webhook(secret).verify(body, ours)
    theirs = svix.webhooks.Webhook(secret).sign(msg_id, datetime.fromtimestamp(now, UTC), body)
    headers = [("svix-id", msg_id), ("svix-timestamp", str(now)), ("svix-signature", theirs)]
    verdict = verify_request(SignedRequest(body.encode(), headers), secrets=[secret], now=now)
    assert (verdict.scheme, verdict.status) == ("standard-webhooks", "valid"), verdict.reason


@SETTINGS
@given(body=bodies, secret=plain_secrets)
def test_slack_ours_to_theirs_and_back(body: str, secret: str) -> None:
    now = int(time.time())
    ours = dict(sign_body(body.encode(), scheme="slack", secret=secret, timestamp=now))
    assert SignatureVerifier(secret).is_valid(body, ours["X-Slack-Request-Timestamp"], ours["X-Slack-Signature"])
    theirs = SignatureVerifier(secret).generate_signature(timestamp=str(now), body=body)
    headers = [("X-Slack-Request-Timestamp", str(now)), ("X-Slack-Signature", theirs)]
    verdict = verify_request(SignedRequest(body.encode(), headers), secrets=[secret], now=now)
    assert (verdict.scheme, verdict.status) == ("slack", "valid"), verdict.reason


form_params = st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,10}", fullmatch=True),
                              st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
                              max_size=6)


@SETTINGS
@given(params=form_params, token=plain_secrets,
       path=st.from_regex(r"/[a-z]{1,10}(\?[a-z]{1,5}=[0-9]{1,3})?", fullmatch=True))
def test_twilio_ours_to_theirs_and_back(params: dict, token: str, path: str) -> None:
    from urllib.parse import urlencode

    url = "https://example.ngrok.app" + path
    body = urlencode(params).encode()
    ours = dict(sign_body(body, scheme="twilio", secret=token, url=url))
    assert RequestValidator(token).validate(url, params, ours["X-Twilio-Signature"])
    theirs = RequestValidator(token).compute_signature(url, params)
    verdict = verify_request(SignedRequest(body, [("X-Twilio-Signature", theirs)], url), secrets=[token])
    assert (verdict.scheme, verdict.status) == ("twilio", "valid"), verdict.reason


def test_twilio_json_body_with_body_sha256_matches_the_library() -> None:
    body = b'{"property": "value", "boolean": true}'
    url = ("https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256="
           "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620")
    validator = RequestValidator("12345")
    signature = validator.compute_signature(url, {})
    assert validator.validate(url, body.decode(), signature)
    assert verify_request(SignedRequest(body, [("X-Twilio-Signature", signature)], url), secrets=["12345"]).is_valid
    tampered = verify_request(SignedRequest(body + b" ", [("X-Twilio-Signature", signature)], url), secrets=["12345"])
    assert tampered.status == "invalid"
