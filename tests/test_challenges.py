"""Provider ownership handshakes against a real capture listener (real Uvicorn, real HTTP, the real store): each
request is shaped as its provider documents it (see hookdeck_tui/listener/challenges.py for the sources), and the
answer is checked against what that provider accepts."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.listener_harness import Harness

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TWITCH_SECRET = "s3cre77890ab-twitch"


@pytest.fixture
async def harness(tmp_path: Path):
    h = Harness(tmp_path)
    yield h
    await h.close()


async def _capture(harness: Harness, extra: str = "") -> str:
    console = await harness.console("listener:\n  type: capture\n  port: 0\n" + extra)
    return console.listener_urls[0]


def _stored(harness: Harness, response) -> object:
    return harness.store.get(int(response.headers["X-Hooktui-Event"]))


def _is_echo(response, value: str) -> bool:
    return (response.status_code == 200 and response.text == value
            and response.headers["content-type"] == "text/plain"
            and response.headers["x-content-type-options"] == "nosniff")


async def test_slack_url_verification_is_answered_with_the_challenge_and_marked(harness: Harness) -> None:
    url = await _capture(harness)
    body = {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification"}
    response = await harness.http.post(f"{url}/slack/events", json=body)
    assert _is_echo(response, body["challenge"])
    event = _stored(harness, response)
    assert event.meta["challenge"] == {"provider": "slack", "kind": "url_verification", "answered": True}
    assert event.route == "capture * / · slack url_verification" and event.response_status == 200
    assert json.loads(event.body) == body  # captured as sent


async def test_slack_url_verification_signed_with_the_wrong_secret_is_refused(harness: Harness) -> None:
    url = await _capture(harness, f"  verify: {{scheme: slack, secret: {SLACK_SECRET}}}\n")
    body = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"}).encode()
    stamp = str(int(time.time()))
    for secret, expected in ((SLACK_SECRET, 200), ("another-secret", 403)):
        signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
        response = await harness.http.post(f"{url}/slack/events", content=body, headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})
        assert response.status_code == expected
        event = _stored(harness, response)
        assert event.meta["challenge"]["answered"] is (expected == 200)
    assert response.json()["error"] == "slack url_verification not answered"
    assert "signature is invalid" in event.error


async def test_meta_subscribe_echoes_hub_challenge_only_for_the_configured_verify_token(harness: Harness) -> None:
    url = await _capture(harness, "  challenges: {meta: {verify_token: meatyhamhock}}\n")
    query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
    response = await harness.http.get(f"{url}/webhooks?{query}meatyhamhock")
    assert _is_echo(response, "1158201444")
    assert _stored(harness, response).meta["challenge"] == {"provider": "meta", "kind": "subscribe",
                                                            "answered": True}
    wrong = await harness.http.get(f"{url}/webhooks?{query}not-the-token")
    assert wrong.status_code == 403 and "1158201444" not in wrong.text
    event = _stored(harness, wrong)
    assert event.meta["challenge"]["answered"] is False and "meatyhamhock" not in json.dumps(event.meta)


async def test_meta_subscribe_without_a_configured_token_is_refused_and_says_how_to_set_it(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("META_VERIFY_TOKEN", raising=False)
    url = await _capture(harness)
    response = await harness.http.get(f"{url}/?hub.mode=subscribe&hub.challenge=42&hub.verify_token=x")
    assert response.status_code == 403
    assert "META_VERIFY_TOKEN" in response.json()["detail"]
    monkeypatch.setenv("META_VERIFY_TOKEN", "x")  # read at the moment of asking, like every secret
    assert _is_echo(await harness.http.get(f"{url}/?hub.mode=subscribe&hub.challenge=42&hub.verify_token=x"), "42")


async def test_zoom_url_validation_answers_the_hmac_of_the_plain_token(harness: Harness) -> None:
    url = await _capture(harness, "  challenges: {zoom: {secret: zoom-secret-token}}\n")
    body = {"payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}, "event_ts": 1654503849680,
            "event": "endpoint.url_validation"}
    response = await harness.http.post(f"{url}/zoom", json=body)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    expected = hmac.new(b"zoom-secret-token", b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert response.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    assert _stored(harness, response).meta["challenge"]["provider"] == "zoom"


async def test_zoom_url_validation_without_a_secret_fails_visibly(harness: Harness,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZOOM_WEBHOOK_SECRET_TOKEN", raising=False)
    url = await _capture(harness)
    response = await harness.http.post(f"{url}/zoom", json={"event": "endpoint.url_validation",
                                                            "payload": {"plainToken": "abc"}})
    assert response.status_code == 500 and "ZOOM_WEBHOOK_SECRET_TOKEN" in response.json()["detail"]
    assert _stored(harness, response).meta["challenge"]["answered"] is False


async def test_dropbox_verification_get_echoes_the_challenge_as_plain_text(harness: Harness) -> None:
    url = await _capture(harness)
    response = await harness.http.get(f"{url}/dropbox-webhook?challenge=<b>abc123</b>")
    assert _is_echo(response, "<b>abc123</b>")  # nosniff: never rendered as HTML
    assert _stored(harness, response).route.endswith("dropbox challenge")


async def test_microsoft_graph_validation_token_is_answered_decoded(harness: Harness) -> None:
    url = await _capture(harness)
    token = "Validation%3A%20Testing%20client%20application%20reachability%20for%20subscription%20Request-Id%3A%20"
    response = await harness.http.post(f"{url}/graph?validationToken={token}", content=b"")
    assert _is_echo(response, "Validation: Testing client application reachability for subscription Request-Id: ")
    assert _stored(harness, response).meta["challenge"]["kind"] == "validationToken"


def _twitch_request(secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"challenge": "pogchamp-kappa-360noscope-vohiyo", "subscription": {
        "id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4", "status": "webhook_callback_verification_pending",
        "type": "channel.follow", "version": "1", "cost": 1,
        "condition": {"broadcaster_user_id": "12826"},
        "transport": {"method": "webhook", "callback": "https://example.com/webhooks/callback"},
        "created_at": "2019-11-16T10:11:12.634234626Z"}}).encode()
    message_id = "e76c6bd4-55c9-4987-8304-da1588d8988b"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())
    # the documented HMAC: message id + timestamp + raw body, SHA-256, hex, `sha256=` prefix
    digest = hmac.new(secret.encode(), message_id.encode() + stamp.encode() + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "Twitch-Eventsub-Message-Id": message_id,
                  "Twitch-Eventsub-Message-Timestamp": stamp, "Twitch-Eventsub-Message-Signature": f"sha256={digest}",
                  "Twitch-Eventsub-Message-Type": "webhook_callback_verification"}


async def test_twitch_callback_verification_returns_the_challenge_when_the_signature_holds(
        harness: Harness) -> None:
    url = await _capture(harness, f"  verify: {{scheme: twitch, secret: {TWITCH_SECRET}}}\n")
    body, headers = _twitch_request(TWITCH_SECRET)
    response = await harness.http.post(f"{url}/eventsub", content=body, headers=headers)
    assert response.status_code == 200 and response.text == "pogchamp-kappa-360noscope-vohiyo"
    assert response.headers["content-type"] == "text/plain"
    event = _stored(harness, response)
    assert event.signature.status == "valid" and event.meta["challenge"]["provider"] == "twitch"
    body, headers = _twitch_request("not-the-secret")
    forged = await harness.http.post(f"{url}/eventsub", content=body, headers=headers)
    assert forged.status_code == 403 and "pogchamp" not in forged.text


async def test_cloudevents_abuse_protection_options_grants_the_origin(harness: Harness) -> None:
    url = await _capture(harness)
    response = await harness.http.request("OPTIONS", f"{url}/events", headers={
        "WebHook-Request-Origin": "eventemitter.example.com", "WebHook-Request-Rate": "120"})
    assert response.status_code == 200
    assert response.headers["webhook-allowed-origin"] == "eventemitter.example.com"
    assert response.headers["webhook-allowed-rate"] == "120"
    assert "POST" in response.headers["allow"]
    assert _stored(harness, response).meta["challenge"]["provider"] == "cloudevents"


async def test_challenges_can_be_switched_off_entirely_or_per_provider(harness: Harness) -> None:
    off = await _capture(harness, "  challenges: false\n")
    answer = await harness.http.post(f"{off}/slack", json={"type": "url_verification", "challenge": "c"})
    assert answer.json() == {"received": True} and _stored(harness, answer).meta is None
    url = await _capture(harness, "  challenges: {disable: [dropbox]}\n")
    plain = await harness.http.get(f"{url}/?challenge=abc")
    assert plain.json() == {"received": True}
    assert _is_echo(await harness.http.post(f"{url}/slack", json={"type": "url_verification", "challenge": "c"}),
                    "c")


async def test_deliveries_that_merely_mention_a_challenge_are_ordinary_events(harness: Harness) -> None:
    url = await _capture(harness)
    event_callback = {"type": "event_callback", "challenge": "x", "event": {"text": "url_verification"}}
    response = await harness.http.post(f"{url}/slack", json=event_callback)
    assert response.json() == {"received": True} and _stored(harness, response).meta is None
    graph_get = await harness.http.get(f"{url}/graph?validationToken=abc")  # Graph validates with a POST
    assert graph_get.json() == {"received": True}


def test_challenges_belong_to_capture_listeners_and_the_checker_says_so() -> None:
    from tests.test_config import errors_of

    (error,) = errors_of("listener:\n  type: http-callback\n  path: /cb\n  challenges: false\n")
    assert "unknown key `challenges` here (it belongs to another listener or route type)" in error
    (typo,) = errors_of("listener:\n  type: capture\n  challenges: {disable: [slak]}\n")
    assert "did you mean `slack`" in typo


async def test_hooktui_send_plays_slack_against_a_hooktui_listener(harness: Harness, tmp_path: Path) -> None:
    """The catalogue's handshake template and the listener's answer meet: the challenge comes back."""
    import asyncio

    from tests.test_forge import hooktui

    url = await _capture(harness)
    result = await asyncio.to_thread(hooktui, "send", "-t", "slack.url_verification", "--secret", SLACK_SECRET,
                                     "--json", "--db", str(tmp_path / "send.db"), url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    sent = harness.store.get(1)
    assert report["response"]["status"] == 200
    assert report["response"]["body"] == json.loads(sent.body)["challenge"]  # the forged challenge, echoed
    assert sent.meta["challenge"]["answered"] and sent.signature.status == "unchecked"


async def test_twitch_verification_without_a_secret_is_answered_unchecked(harness: Harness,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWITCH_EVENTSUB_SECRET", raising=False)
    monkeypatch.delenv("HOOKTUI_SECRET", raising=False)
    url = await _capture(harness)
    body, headers = _twitch_request("whatever-secret")
    response = await harness.http.post(f"{url}/eventsub", content=body, headers=headers)
    assert response.status_code == 200 and response.text == "pogchamp-kappa-360noscope-vohiyo"
    assert _stored(harness, response).signature.status == "unchecked"


@pytest.mark.parametrize("marker", [b"url_verification", b"endpoint.url_validation", b"challenge"])
async def test_a_handshake_looking_body_nested_past_the_recursion_limit_is_captured(harness: Harness,
                                                                                    marker: bytes) -> None:
    """A small body that names a handshake and is nested 20,000 deep: the check reading it raised RecursionError
    before the commit, so the request got a 500 and was never stored."""
    url = await _capture(harness)
    body = b'{"type": "' + marker + b'", "x": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    response = await harness.http.post(url, content=body, headers={"Content-Type": "application/json",
                                                                   "Twitch-Eventsub-Message-Type":
                                                                   "webhook_callback_verification"})
    assert response.status_code == 200
    assert _stored(harness, response).body == body
