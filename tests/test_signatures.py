"""Every scheme: sign → verify, every way to fail (tampered, wrong secret, stale, future, missing, malformed,
unchecked), rotation, several signatures per header, detection, the diagnosis of each usual cause, and that no
header value can make verification raise."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hookdeck_tui.signatures import (
    SCHEMES,
    STATUSES,
    Limits,
    SchemeError,
    SchemeOptions,
    SignedRequest,
    canonical_name,
    detect,
    explain,
    sign_body,
    verify_request,
)
from hookdeck_tui.signatures.ed25519 import public_key_of
from hookdeck_tui.signatures.url_signed import NeedsUrl

NOW = 1_750_000_000
JSON_BODY = json.dumps({"type": "task.ai_generated", "channel_id": "ch_42", "webhookTimestamp": NOW * 1000,
                        "ai_response": {"data": {"title": "Héllo"}}}).encode()
FORM_BODY = urlencode({"command": "/deploy", "text": "prod now", "user_name": "ada"}).encode()
DISCORD_PRIVATE = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
URL = "https://abc.trycloudflare.com/webhooks/in?x=1"
HMAC_OPTIONS = SchemeOptions(header="X-Signature", algorithm="sha512", encoding="base64", prefix="sha512=",
                             signed_content="{timestamp}.{body}", timestamp_header="X-Timestamp")


class Case:
    """How to sign and verify one scheme in these tests."""

    def __init__(self, scheme: str, *, body: bytes = JSON_BODY, secret: str = "s3cr3t-value",
                 verify_secret: str | None = None, url: str | None = None, options: SchemeOptions | None = None,
                 tolerance: float | None = None, past_only: bool = False) -> None:
        self.scheme, self.body, self.secret, self.url, self.options = scheme, body, secret, url, options
        self.verify_secret = verify_secret or secret
        self.tolerance, self.past_only = tolerance, past_only

    def sign(self, body: bytes | None = None, *, timestamp: int = NOW, secret: str | None = None) -> list:
        return sign_body(self.body if body is None else body, scheme=self.scheme, secret=secret or self.secret,
                         timestamp=timestamp, url=self.url, options=self.options, message_id="msg_fixed")

    def explain(self, headers: list, body: bytes | None = None, *, secrets: list[str] | None = None,
                url: str | None = "same", limits: Limits | None = None):
        return explain(SignedRequest(self.body if body is None else body, headers,
                                     self.url if url == "same" else url), scheme=self.scheme,
                       secrets=[self.verify_secret] if secrets is None else secrets, now=NOW, options=self.options,
                       limits=limits)

    def verify(self, headers: list, body: bytes | None = None, *, secrets: list[str] | None = None,
               now: float = NOW, url: str | None = "same", scheme: str | None = "same"):
        return verify_request(SignedRequest(self.body if body is None else body, headers,
                                            self.url if url == "same" else url),
                              scheme=self.scheme if scheme == "same" else scheme,
                              secrets=[self.verify_secret] if secrets is None else secrets, now=now,
                              options=self.options)


CASES = {
    "modelriver": Case("modelriver"),
    "github": Case("github"),
    "stripe": Case("stripe", secret="whsec_abc123", tolerance=300, past_only=True),
    "slack": Case("slack", body=FORM_BODY, tolerance=300),
    "standard-webhooks": Case("standard-webhooks", secret="whsec_" + base64.b64encode(b"k" * 24).decode(),
                              tolerance=300),
    "shopify": Case("shopify"),
    "twilio": Case("twilio", body=FORM_BODY, url=URL),
    "paddle": Case("paddle", tolerance=5, past_only=True),
    "linear": Case("linear", tolerance=60),
    "twitch": Case("twitch", tolerance=600),
    "square": Case("square", url=URL),
    "discord": Case("discord", secret=DISCORD_PRIVATE, verify_secret=public_key_of(DISCORD_PRIVATE)),
    "hmac": Case("hmac", options=HMAC_OPTIONS, tolerance=300),
}


def test_every_scheme_has_a_case() -> None:
    assert set(CASES) == set(SCHEMES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sign_then_verify_is_valid(name: str) -> None:
    case = CASES[name]
    verdict = case.verify(case.sign())
    assert (verdict.scheme, verdict.status) == (canonical_name(name), "valid"), verdict.reason


@pytest.mark.parametrize("name", sorted(set(CASES) - {"hmac"}))
def test_detected_from_headers(name: str) -> None:
    case = CASES[name]
    headers = case.sign()
    assert detect(SignedRequest(case.body, headers)).name == name
    verdict = case.verify(headers, scheme=None)
    assert verdict.status == "valid" and "(detected)" in verdict.reason


@pytest.mark.parametrize("name", sorted(CASES))
def test_tampered_body_is_invalid(name: str) -> None:
    case = CASES[name]
    tampered = case.body.replace(b"a", b"b", 1)
    assert tampered != case.body
    verdict = case.verify(case.sign(), tampered)
    assert verdict.status == "invalid"
    assert verdict.details["received"]


@pytest.mark.parametrize("name", sorted(set(CASES) - {"discord"}))
def test_wrong_secret_is_invalid_with_expected_and_received(name: str) -> None:
    case = CASES[name]
    wrong = "whsec_" + base64.b64encode(b"z" * 24).decode() if name == "standard-webhooks" else "another-secret"
    verdict = case.verify(case.sign(), secrets=[wrong])
    assert verdict.status == "invalid"
    assert verdict.details["diagnosis"] == "pending"  # computed where it is shown, never on the request path
    assert "does not match the configured secret" in verdict.reason
    diagnosis = case.explain(case.sign(), secrets=[wrong])
    assert diagnosis.expected and diagnosis.expected != verdict.details["received"]


def test_wrong_discord_key_is_invalid() -> None:
    case = CASES["discord"]
    other = public_key_of("11" * 32)
    assert case.verify(case.sign(), secrets=[other]).status == "invalid"


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.tolerance))
def test_stale_timestamp_is_expired(name: str) -> None:
    case = CASES[name]
    stale = NOW - int(case.tolerance) - 30
    body = case.body
    if name == "linear":  # Linear's timestamp lives in the body
        body = body.replace(str(NOW * 1000).encode(), str(stale * 1000).encode())
    verdict = case.verify(case.sign(body, timestamp=stale), body)
    assert verdict.status == "expired", verdict.reason
    assert "old" in verdict.reason
    inside = case.verify(case.sign(body, timestamp=stale), body, now=stale + 1)
    assert inside.status == "valid"


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.tolerance))
def test_future_timestamp(name: str) -> None:
    case = CASES[name]
    future = NOW + int(case.tolerance) + 30
    body = case.body
    if name == "linear":
        body = body.replace(str(NOW * 1000).encode(), str(future * 1000).encode())
    verdict = case.verify(case.sign(body, timestamp=future), body)
    assert verdict.status == ("valid" if case.past_only else "expired"), verdict.reason


def test_tolerance_can_be_overridden() -> None:
    case = CASES["stripe"]
    headers = case.sign(timestamp=NOW - 1000)
    assert case.verify(headers).status == "expired"
    loose = verify_request(SignedRequest(case.body, headers), secrets=[case.secret], now=NOW, tolerance=2000)
    assert loose.status == "valid"


@pytest.mark.parametrize("name", sorted(CASES))
def test_missing_signature(name: str) -> None:
    case = CASES[name]
    verdict = case.verify([("Content-Type", "application/json")])
    assert verdict.status == "missing"
    assert verdict.scheme == canonical_name(name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_secret_is_unchecked(name: str) -> None:
    case = CASES[name]
    verdict = case.verify(case.sign(), secrets=[])
    assert verdict.status == "unchecked" and "no secret is configured" in verdict.reason


@pytest.mark.parametrize(("name", "headers", "message"), [
    ("modelriver", [("mr-signature", "not-hex")], "mr-signature is not valid hex"),
    ("github", [("X-Hub-Signature-256", "757107ea")], "should look like `sha256=<hex>`"),
    ("github", [("X-Hub-Signature-256", "sha256=zz")], "is not valid hex"),
    ("stripe", [("Stripe-Signature", "v1=abcd")], "no `t=` timestamp"),
    ("stripe", [("Stripe-Signature", "t=123,v0=abcd")], "no `v1=` signature"),
    ("stripe", [("Stripe-Signature", "t=abc,v1=abcd")], "is not a Unix timestamp"),
    ("stripe", [("Stripe-Signature", "t=123,v1=nothex")], "no `v1=` signature in Stripe-Signature is hex"),
    ("slack", [("X-Slack-Signature", "v0=abcd")], "no X-Slack-Request-Timestamp header"),
    ("slack", [("X-Slack-Signature", "abcd"), ("X-Slack-Request-Timestamp", "1")], "should look like `v0=<hex>`"),
    ("standard-webhooks", [("webhook-signature", "v1,abc="), ("webhook-timestamp", "1")], "no webhook-id header"),
    ("standard-webhooks", [("webhook-signature", "v2,abc"), ("webhook-id", "m"), ("webhook-timestamp", "1")],
     "no `v1,<base64>` signature"),
    ("shopify", [("X-Shopify-Hmac-Sha256", "***")], "is not valid base64"),
    ("twilio", [("X-Twilio-Signature", "%%%")], "is not valid base64"),
    ("paddle", [("Paddle-Signature", "h1=abcd")], "Paddle-Signature has no `ts=` timestamp"),
    ("paddle", [("Paddle-Signature", "ts=5")], "Paddle-Signature has no `h1=` signature"),
    ("linear", [("Linear-Signature", "xyz")], "is not valid hex"),
    ("twitch", [("Twitch-Eventsub-Message-Signature", "sha256=ab")], "no Twitch-Eventsub-Message-Id header"),
    ("twitch", [("Twitch-Eventsub-Message-Signature", "sha256=ab"), ("Twitch-Eventsub-Message-Id", "i"),
                ("Twitch-Eventsub-Message-Timestamp", "yesterday")], "is not an RFC 3339 time"),
    ("square", [("x-square-hmacsha256-signature", "!!")], "is not valid base64"),
    ("discord", [("X-Signature-Ed25519", "ab")], "no X-Signature-Timestamp header"),
    ("discord", [("X-Signature-Ed25519", "abcd"), ("X-Signature-Timestamp", "1")], "2 bytes; an Ed25519 signature"),
    ("hmac", [("X-Signature", "abc")], "should start with `sha512=`"),
    ("hmac", [("X-Signature", "sha512=" + "A" * 88)], "no X-Timestamp header"),
])
def test_malformed_headers_are_malformed_not_exceptions(name: str, headers: list, message: str) -> None:
    verdict = CASES[name].verify(headers)
    assert verdict.status == "malformed"
    assert message in verdict.reason, verdict.reason


@pytest.mark.parametrize("name", sorted(set(CASES) - {"discord"}))
def test_rotation_second_secret_matches(name: str) -> None:
    case = CASES[name]
    old = "whsec_" + base64.b64encode(b"o" * 24).decode() if name == "standard-webhooks" else "old-secret"
    verdict = case.verify(case.sign(), secrets=[old, case.secret])
    assert verdict.status == "valid" and "(secret 2 of 2)" in verdict.reason


def test_several_signatures_in_one_header() -> None:
    stripe, paddle, standard = CASES["stripe"], CASES["paddle"], CASES["standard-webhooks"]
    new = dict(stripe.sign())["Stripe-Signature"]
    old = dict(stripe.sign(secret="whsec_old"))["Stripe-Signature"].split(",")[1]
    both = f"{new},{old},v0=deadbeef"
    assert stripe.verify([("Stripe-Signature", both)], secrets=["whsec_old"]).status == "valid"
    assert stripe.verify([("Stripe-Signature", both)]).status == "valid"

    first = dict(paddle.sign())["Paddle-Signature"]
    second = dict(paddle.sign(secret="other"))["Paddle-Signature"].split(";")[1]
    assert paddle.verify([("Paddle-Signature", f"{first};{second}")], secrets=["other"]).status == "valid"

    headers = dict(standard.sign())
    headers["webhook-signature"] = "v1a,ignored v2,unknownversion " + headers["webhook-signature"]
    assert standard.verify(list(headers.items())).status == "valid"

    modelriver = CASES["modelriver"]
    good = dict(modelriver.sign())["mr-signature"]
    assert modelriver.verify([("mr-signature", f"{'00' * 32}, {good}")]).status == "valid"
    assert modelriver.verify([("mr-signature", f"sha256={good}")]).status == "valid"


def test_github_legacy_sha1_header_alone() -> None:
    case = CASES["github"]
    legacy = [h for h in case.sign() if h[0] == "X-Hub-Signature"]
    verdict = case.verify(legacy)
    assert verdict.status == "valid"
    assert case.verify([("X-Hub-Signature", "sha1=" + "00" * 20)]).status == "invalid"


def test_modelriver_signs_the_provider_headers() -> None:
    headers = dict(CASES["modelriver"].sign())
    assert headers["mr-signature"] == hmac.new(b"s3cr3t-value", JSON_BODY, hashlib.sha256).hexdigest()
    assert headers["mr-timestamp"] == str(NOW) and headers["mr-channel-id"] == "ch_42"


def test_modelriver_signed_content_variant() -> None:
    options = SchemeOptions(signed_content="{timestamp}.{body}")
    headers = sign_body(JSON_BODY, scheme="modelriver", secret="k", timestamp=NOW, options=options)
    expected = hmac.new(b"k", f"{NOW}.".encode() + JSON_BODY, hashlib.sha256).hexdigest()
    assert dict(headers)["mr-signature"] == expected
    request = SignedRequest(JSON_BODY, headers)
    assert verify_request(request, scheme="modelriver", secrets=["k"], now=NOW, options=options).is_valid
    assert verify_request(request, scheme="modelriver", secrets=["k"], now=NOW + 400,
                          options=options).status == "expired"
    assert verify_request(request, scheme="modelriver", secrets=["k"], now=NOW).status == "invalid"


def test_generic_hmac_shapes() -> None:
    body = b'{"id": 1}'
    for encoding, algorithm in (("hex", "sha1"), ("base64", "sha256"), ("hex", "sha512")):
        options = SchemeOptions(header="X-Sig", algorithm=algorithm, encoding=encoding)
        headers = sign_body(body, scheme="hmac", secret="k", options=options)
        digest = hmac.new(b"k", body, algorithm).digest()
        assert dict(headers)["X-Sig"] == (digest.hex() if encoding == "hex" else base64.b64encode(digest).decode())
        assert verify_request(SignedRequest(body, headers), scheme="hmac", secrets=["k"], options=options).is_valid
    with pytest.raises(SchemeError, match="needs the name of its signature header"):
        sign_body(body, scheme="hmac", secret="k")
    with pytest.raises(SchemeError, match="unknown placeholder"):
        sign_body(body, scheme="hmac", secret="k", options=SchemeOptions(header="X", signed_content="{nope}"))


def test_url_schemes_need_a_url() -> None:
    with pytest.raises(NeedsUrl):
        sign_body(b"", scheme="twilio", secret="t")
    case = CASES["square"]
    verdict = case.verify(case.sign(), url=None)
    assert verdict.status == "unchecked" and "set the public URL" in verdict.reason


def test_unknown_scheme_and_aliases() -> None:
    assert canonical_name("SVIX") == "standard-webhooks" and canonical_name("mr") == "modelriver"
    with pytest.raises(SchemeError, match="unknown signature scheme `githb`"):
        verify_request(SignedRequest(b""), scheme="githb")


def test_no_scheme_and_no_known_header_is_unchecked() -> None:
    verdict = verify_request(SignedRequest(b"{}", [("X-Custom", "1")]), secrets=["k"])
    assert (verdict.scheme, verdict.status) == (None, "unchecked")


def test_missing_names_the_headers_present_instead() -> None:
    github = CASES["github"].sign()
    verdict = verify_request(SignedRequest(JSON_BODY, github), scheme="modelriver", secrets=["k"])
    assert verdict.status == "missing" and "carries github headers instead" in verdict.reason


def test_a_bad_whsec_secret_says_so() -> None:
    case = CASES["standard-webhooks"]
    verdict = case.verify(case.sign(), secrets=["whsec_not base64!"])
    assert verdict.status == "invalid" and "base64 after `whsec_`" in verdict.reason


# --- diagnosis: each usual cause is tested and reported (the corpus in test_diagnosis_corpus.py has the rest) ---

def _causes(diagnosis) -> list[str]:
    return [cause_id for cause in diagnosis.causes for cause_id in cause.ids]


def test_diagnosis_body_reserialized() -> None:
    case = CASES["modelriver"]
    pretty = json.dumps(json.loads(JSON_BODY), indent=2).encode()
    diagnosis = case.explain(case.sign(pretty), JSON_BODY)
    assert diagnosis.causes[0].ids == ("json.whitespace",)
    assert "pretty-printed with 2 spaces" in diagnosis.causes[0].text


def test_diagnosis_trailing_newline_added_and_lost() -> None:
    case = CASES["github"]
    added = case.explain(case.sign(), JSON_BODY + b"\n")
    assert added.causes[0].id == "bytes.trailing_newline" and "was added after signing" in added.causes[0].text
    lost = case.explain(case.sign(JSON_BODY + b"\n"), JSON_BODY)
    assert lost.causes[0].id == "bytes.trailing_newline" and "was lost after signing" in lost.causes[0].text


def test_diagnosis_whitespace_in_secret() -> None:
    case = CASES["slack"]
    assert case.explain(case.sign(), secrets=[case.secret + "\n"]).causes[0].id == "secret.whitespace"


def test_diagnosis_whsec_raw_versus_decoded() -> None:
    case = CASES["standard-webhooks"]
    raw_key = case.secret.encode()
    signature = base64.b64encode(hmac.new(raw_key, f"msg_fixed.{NOW}.".encode() + JSON_BODY, "sha256").digest())
    headers = [("webhook-id", "msg_fixed"), ("webhook-timestamp", str(NOW)),
               ("webhook-signature", "v1," + signature.decode())]
    diagnosis = case.explain(headers)
    assert diagnosis.causes[0].id == "secret.whsec_encoding" and "as text" in diagnosis.causes[0].text
    github = CASES["github"]
    decoded = base64.b64decode(case.secret[6:])
    headers = [("X-Hub-Signature-256", "sha256=" + hmac.new(decoded, JSON_BODY, "sha256").hexdigest())]
    diagnosis = github.explain(headers, secrets=[case.secret])
    assert diagnosis.causes[0].id == "secret.whsec_encoding" and "base64-decoded" in diagnosis.causes[0].text


def test_diagnosis_other_scheme() -> None:
    github = CASES["github"].sign()
    headers = github + [("mr-signature", "00" * 32)]
    diagnosis = CASES["modelriver"].explain(headers)
    assert diagnosis.causes[0].id == "scheme.other"
    assert "validly signed as github, not modelriver: set the scheme to `github`" in diagnosis.causes[0].text


@pytest.mark.parametrize(("received_url", "cause"), [
    ("http://abc.trycloudflare.com/webhooks/in?x=1", "url.scheme"),  # the tunnel ends TLS: scheme changed
    ("https://abc.trycloudflare.com:443/webhooks/in?x=1", "url.port"),  # port written out
    ("https://abc.trycloudflare.com/webhooks/in/?x=1", "url.trailing_slash"),  # trailing slash added
])
def test_diagnosis_url_changed(received_url: str, cause: str) -> None:
    case = CASES["square"]
    diagnosis = case.explain(case.sign(), url=received_url)
    assert diagnosis.causes[0].id == cause
    assert f"the provider signed the URL `{URL}`" in diagnosis.causes[0].text


def test_twilio_accepts_the_default_port_either_way() -> None:
    case = CASES["twilio"]
    assert case.verify(case.sign(), url=URL.replace(".com/", ".com:443/")).status == "valid"


def test_diagnosis_combines_two_causes_and_notes_skew() -> None:
    case = CASES["stripe"]
    headers = case.sign(timestamp=NOW - 3600)
    verdict = case.verify(headers, JSON_BODY + b"\n", secrets=[" " + case.secret])
    assert any("3600 s in the past of this machine's clock" in note for note in verdict.details["notes"])
    assert verdict.details["skew_seconds"] == 3600
    diagnosis = case.explain(headers, JSON_BODY + b"\n", secrets=[" " + case.secret])
    assert diagnosis.causes[0].ids == ("bytes.trailing_newline", "secret.whitespace")


def test_diagnosis_admits_when_nothing_explains_it() -> None:
    case = CASES["shopify"]
    verdict = case.verify(case.sign(), secrets=["entirely-different"])
    assert verdict.reason == "signature does not match the configured secret"  # no guess about another secret
    diagnosis = case.explain(case.sign(), secrets=["entirely-different"])
    assert diagnosis.causes == []
    assert diagnosis.headline == f"none of the {diagnosis.tested} causes tested explains it"
    assert any(item.startswith("bytes changed in transit") for item in diagnosis.ruled_out)
    assert any(item.startswith("a secret other than the 1 configured") for item in diagnosis.left)


def test_diagnosis_of_a_huge_body_is_bounded_and_says_what_it_skipped() -> None:
    case = CASES["github"]
    huge = json.dumps({"items": ["x" * 100] * 20_000}).encode()  # ~2 MB
    diagnosis = case.explain(case.sign(huge + b"\n"), huge, limits=Limits(full_body=1024 * 1024))
    assert diagnosis.causes[0].id == "bytes.trailing_newline"  # the cheap checks still run
    assert any("JSON re-encodings" in item and "over the 1,048,576-byte bound" in item for item in diagnosis.skipped)
    forged = case.explain([("X-Hub-Signature-256", "sha256=" + "ab" * 32)], huge,
                          limits=Limits(full_body=1024 * 1024, seconds=0.0))
    assert forged.causes == [] and any("time budget ran out" in item for item in forged.skipped)


@pytest.mark.parametrize("library", ["standardwebhooks", "svix"])
def test_a_whsec_secret_with_a_trailing_newline_is_accepted_as_by_the_official_libraries(library: str) -> None:
    import standardwebhooks
    import svix.webhooks

    secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
    headers = sign_body(JSON_BODY, scheme="svix" if library == "svix" else "standard-webhooks", secret=secret)
    lowered = {name.lower(): value for name, value in headers}
    if library == "svix":
        svix.webhooks.Webhook(secret + "\n").verify(JSON_BODY, lowered)  # raises if the library refuses it
    else:
        standardwebhooks.Webhook(secret + "\n").verify(JSON_BODY, lowered)
    verdict = verify_request(SignedRequest(JSON_BODY, headers), scheme="standard-webhooks", secrets=[secret + "\n"])
    assert verdict.status == "valid", verdict.reason


def test_twilio_shared_key_sha256_signature_is_accepted_as_by_the_official_validator() -> None:
    from twilio.request_validator import RequestValidator, get_signature_algorithm

    params = dict(parse_qsl(FORM_BODY.decode()))
    settings_header = ("X-Twilio-Webhooks-Signature-Settings", "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256")
    algorithm = get_signature_algorithm(settings_header[1])
    signature = RequestValidator("shared").compute_signature(URL, params, algorithm)
    assert RequestValidator("shared").validate(URL, params, signature, algorithm)
    verdict = verify_request(SignedRequest(FORM_BODY, [("X-Twilio-Signature", signature), settings_header], URL),
                             scheme="twilio", secrets=["shared"])
    assert verdict.status == "valid", verdict.reason


def test_twilio_url_with_any_port_is_accepted_as_by_the_official_validator() -> None:
    from twilio.request_validator import RequestValidator

    params = dict(parse_qsl(FORM_BODY.decode()))
    signature = RequestValidator("tok").compute_signature(URL, params)
    received = URL.replace(".com/", ".com:8443/")  # a port the proxy added
    assert RequestValidator("tok").validate(received, params, signature)
    verdict = verify_request(SignedRequest(FORM_BODY, [("X-Twilio-Signature", signature)], received),
                             scheme="twilio", secrets=["tok"])
    assert verdict.status == "valid", verdict.reason


# --- no header value makes verification raise -------------------------------------------------------------

ALL_HEADER_NAMES = sorted({
    "mr-signature", "mr-timestamp", "X-Hub-Signature-256", "X-Hub-Signature", "Stripe-Signature", "X-Slack-Signature",
    "X-Slack-Request-Timestamp", "webhook-id", "webhook-timestamp", "webhook-signature", "svix-id", "svix-timestamp",
    "svix-signature", "X-Shopify-Hmac-Sha256", "X-Twilio-Signature", "Paddle-Signature", "Linear-Signature",
    "Twitch-Eventsub-Message-Id", "Twitch-Eventsub-Message-Timestamp", "Twitch-Eventsub-Message-Signature",
    "x-square-hmacsha256-signature", "x-square-signature", "X-Signature-Ed25519", "X-Signature-Timestamp",
    "X-Signature", "X-Timestamp",
})
_VALUE_PIECES = st.sampled_from(["t=", "v1=", "v0=", "ts=", "h1=", ";", ",", " ", "sha256=", "sha1=", "v1,", "=",
                                 "1614265330", "-1", "99999999999999999999", "ab", "zz", "==", "Z", "T", ".", "é",
                                 "\x00", "2026-01-01T00:00:00.123456789Z"])


@settings(max_examples=400, deadline=None)
@given(
    headers=st.lists(st.tuples(st.sampled_from(ALL_HEADER_NAMES),
                               st.one_of(st.text(max_size=80), st.lists(_VALUE_PIECES, max_size=12).map("".join))),
                     max_size=6),
    body=st.binary(max_size=200),
    scheme=st.sampled_from([None, *sorted(set(SCHEMES) - {"hmac"}), "hmac"]),
    secret=st.sampled_from(["k", "whsec_" + base64.b64encode(b"k" * 24).decode(), "whsec_!!", "ab" * 32, " "]),
    url=st.sampled_from([None, URL, "not a url", "http://[::1]:80/x"]),
)
def test_arbitrary_headers_never_raise(headers, body, scheme, secret, url) -> None:
    verdict = verify_request(SignedRequest(body, headers, url), scheme=scheme, secrets=[secret], now=NOW,
                             options=HMAC_OPTIONS if scheme == "hmac" else None)
    assert verdict.status in STATUSES
    assert isinstance(verdict.reason, str) and verdict.reason


@settings(max_examples=150, deadline=None)
@given(
    headers=st.lists(st.tuples(st.sampled_from(ALL_HEADER_NAMES + ["Content-Length", "Content-Type", "Host"]),
                               st.one_of(st.text(max_size=80), st.lists(_VALUE_PIECES, max_size=12).map("".join))),
                     max_size=6),
    body=st.one_of(st.binary(max_size=200), st.just(JSON_BODY), st.just(FORM_BODY), st.just(b"\x1f\x8b\x08junk")),
    scheme=st.sampled_from([None, *sorted(set(SCHEMES) - {"hmac"}), "hmac"]),
    secret=st.sampled_from(["k", "whsec_" + base64.b64encode(b"k" * 24).decode(), "whsec_!!", "ab" * 32, " \"x\" "]),
    url=st.sampled_from([None, URL, "not a url", "http://[::1]:80/x?b=2&a=1"]),
)
def test_the_diagnosis_never_raises_and_never_explains_a_forgery(headers, body, scheme, secret, url) -> None:
    request = SignedRequest(body, headers, url)
    options = HMAC_OPTIONS if scheme == "hmac" else None
    diagnosis = explain(request, scheme=scheme, secrets=[secret], now=NOW, options=options,
                        candidates=[("$OTHER", "other-secret")])
    assert isinstance(diagnosis.headline, str) and diagnosis.headline
    # random header values are forgeries: nothing may be offered as the fix — except a body shorter than its
    # Content-Length, which is a fact about the request, not a recomputation
    assert all(cause.id == "bytes.truncated" for cause in diagnosis.causes), diagnosis.lines()


@pytest.mark.parametrize("depth", [900, 100_000])
@pytest.mark.parametrize("scheme", ["modelriver", "github", "stripe", "linear"])
def test_a_deeply_nested_body_is_judged_and_diagnosed_without_recursion_errors(depth: int, scheme: str) -> None:
    """A JSON body nested past Python's recursion limit: the verdict and the diagnosis are computed (the JSON
    re-encodings are said to be skipped), never a RecursionError (it used to escape `show` and `verify`)."""
    from hookdeck_tui.signatures import explain

    body = b'{"a":' + b"[" * depth + b"]" * depth + b"}"
    request = SignedRequest(body, sign_body(b"another body", scheme=scheme, secret="s"))
    verdict = verify_request(request, scheme=scheme, secrets=["s"])
    assert verdict.status == "invalid"
    diagnosis = explain(request, scheme=scheme, secrets=["s"], verdict=verdict)
    assert not diagnosis.causes
    assert "JSON re-encodings: the body is nested deeper than 64 levels" in diagnosis.skipped


def test_a_gzip_bomb_is_not_unpacked_by_the_diagnosis() -> None:
    """A 100 KB gzip of 100 MB of zeros with a bad signature: the diagnosis (run in the console's own process when
    the event is shown) does not unpack it — it allocated the whole 1 GB of a 1 MB bomb; a small gzip still is."""
    import gzip
    import tracemalloc

    from hookdeck_tui.signatures import explain

    bomb = gzip.compress(b"\0" * (100 * 1024 * 1024), compresslevel=9)
    request = SignedRequest(bomb, sign_body(b"other", scheme="github", secret="s"))
    tracemalloc.start()
    try:
        explain(request, scheme="github", secrets=["s"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 1024 * 1024
    small = b'{"ok": true}'
    packed = gzip.compress(small)
    found = explain(SignedRequest(packed, sign_body(small, scheme="github", secret="s")), scheme="github",
                    secrets=["s"])
    assert found.causes[0].id == "bytes.compression"
