"""Real signature mistakes, made end to end: the provider's official library (or, for providers without a Python one,
plain hmac exactly as their docs describe) signs an event, the fault that happens between sender and verifier is
applied, and the provider's own verifier confirms the result fails. Each case names the cause id hooktui must put
first, and the public report its class of mistake came from.

Providers without an official Python library, signed and verified as their docs show:
GitHub https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries (hex HMAC-SHA256 of the raw
body, `sha256=` prefix); Shopify https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
(base64 HMAC-SHA256 of the raw body); Square https://developer.squareup.com/docs/webhooks/step3validate (base64
HMAC-SHA256 of notification URL + body); ModelRiver (lowercase hex HMAC-SHA256 of the raw body in `mr-signature`);
a generic `Signature` header as Laravel's spatie/laravel-webhook-server sends (hex HMAC-SHA256 of the body).
"""

from __future__ import annotations

import base64
import gzip
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import slack_sdk.signature
import standardwebhooks
import stripe
import svix.webhooks
from twilio.request_validator import RequestValidator

from hookdeck_tui.signatures import SchemeOptions, SignedRequest

NOW = int(time.time())

# --- the public reports each class of mistake comes from ---------------------------------------------------
REPORTS = {
    "express.json": "https://github.com/clearlydefined/service/pull/1462",  # GitHub signature vs express.json()
    "stringify": "https://github.com/stripe/stripe-node/issues/1886",  # "No signatures found matching ..."
    "shopify-raw": "https://dev.to/prateek32177/why-shopify-webhook-hmac-verification-keeps-failing-4i80",
    "go-html-escape": "https://github.com/steemit/jussi/pull/258",  # Go escapes < > & as \u003c ...
    "go-html-escape-2": "https://github.com/elastic/cloud-on-k8s/pull/3977",
    "php-slash": "https://github.com/cloudconvert/cloudconvert-node/pull/59",  # `/` written `\/` by PHP
    "key-order": "https://developers.mageloyalty.com/api-reference/webhooks/verifying-signatures",
    "round-trip": "https://github.com/sanity-io/webhook-toolkit/pull/10",  # JSON that does not round-trip
    "big-int": "https://github.com/brettlangdon/node-dogapi/issues/16",  # JSON.parse rounds ids above 2^53
    "newline": "https://github.com/channable/hoff/issues/127",  # a body with line breaks / a trailing newline
    "crlf": "https://github.com/channable/hoff/issues/127",
    "bom": "https://github.com/n8n-io/n8n/pull/35933",  # a UTF-8 BOM in front of webhook bodies
    "truncated": "https://github.com/slackapi/java-slack-sdk/issues/254",
    "charset": "https://github.com/github/docs/issues/3567",  # body read as ASCII/another charset
    "charset-replace": "https://github.com/langchain-ai/open-swe/issues/2310",  # lossy decode/re-encode
    "gzip": "https://github.com/GetStream/stream-chat-php/pull/168",  # signature over the uncompressed body
    "form-space": "https://github.com/scribejava/scribejava/issues/170",  # %20 signed, + sent
    "form-star": "https://github.com/slackapi/java-slack-sdk/issues/1290",  # `*` vs %2A in Slack bodies
    "form-reencode": "https://github.com/slack-ruby/slack-ruby-bot-server-events/issues/22",
    "form-blank": "https://github.com/bmlt-enabled/yap/pull/1628",  # empty-valued parameters (`CalledCity=`)
    "secret-newline": "https://github.com/stripe/stripe-node/issues/1980",
    "secret-newline-2": "https://github.com/heripo-lab/heripo-engine/pull/47",
    "secret-quotes": "https://github.com/amayer1983/docksentry/issues/30",
    "whsec": "https://github.com/standard-webhooks/standard-webhooks/issues/235",
    "test-live": "https://github.com/vercel/nextjs-subscription-payments/issues/240",
    "encoding": "https://hookmetry.com/docs/shopify-webhook-hmac-validation-failed",  # hex vs base64
    "prefix": "https://github.com/textbee/textbee/issues/161",  # `sha256=` prefix expected, bare hash sent
    "algorithm": "https://github.com/dora-team/fourkeys/pull/298",  # sha1 vs sha256
    "wrong-header": "https://github.com/superplanehq/superplane/pull/4389",
    "skew": "https://github.com/stripe/stripe-php/issues/657",
    "millis": "https://github.com/workos/workos-ruby/pull/138",  # a timestamp sent in milliseconds
    "proxy-https": "https://github.com/twilio/twilio-node/issues/321",  # ngrok ends TLS: https -> http
    "port": "https://github.com/twilio/twilio-python/issues/392",
    "host": "https://github.com/twilio/twilio-python/issues/751",  # behind a proxy, request.url is not Twilio's
    "slash": "https://github.com/kevinburke/twilio-go/issues/25",
    "query-order": "https://github.com/bmlt-enabled/yap/issues/1627",
    "query-encoding": "https://github.com/bmlt-enabled/yap/pull/1629",
    "header-joined": "https://github.com/stripe/stripe-node/issues/1980",  # header values mangled in transit
}


@dataclass
class Received:
    """What hooktui (and the provider's own verifier) gets after the fault."""

    request: SignedRequest
    scheme: str
    secrets: list[str]
    oracle: Callable[[], bool]  # the provider's verifier on exactly this: True when it accepts
    options: SchemeOptions | None = None
    candidates: list[tuple[str, str]] = field(default_factory=list)
    now: float = NOW


@dataclass
class Mistake:
    provider: str
    fault: str
    cause: str  # the cause id that must come first
    report: str  # key of REPORTS
    build: Callable[[], Received]

    @property
    def id(self) -> str:
        return f"{self.provider}-{self.fault}"


# --- payloads and the runtimes that write them ----------------------------------------------------------------
EVENT = {"id": "evt_1NQ9xYz", "object": "event", "type": "charge.succeeded", "created": NOW,
         "data": {"object": {"id": "ch_3Ab", "amount": 2000, "currency": "eur", "fee_rate": 1.5,
                             "description": "Café <crème> & co", "receipt_url": "https://pay.example.com/r/ch_3Ab",
                             "metadata": {"order": "A/42", "note": "ünïcode ☕"}}}}
BIG = {"id": 1234567890123456789, "type": "message.created", "channel": "C024BE91L", "ts": 1.0,
       "text": "snowflake ids"}
FLOATS = {"type": "task.ai_generated", "channel_id": "ch_1", "score": 1.0, "cost": 2.50, "tokens": 12}
FORM = [("token", "gIkuvaNzQIHg97ATvDxqgjtO"), ("team_id", "T0001"), ("channel_name", "general"),
        ("user_name", "Ada Lovelace"), ("command", "/deploy"), ("text", "prod *now* (v1.2) ~fast"),
        ("response_url", "https://hooks.slack.com/commands/1234/5678")]
TWILIO_FORM = {"AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "From": "+14158675310", "To": "+18005550006",
               "Body": "Hello world & more", "MessageSid": "SM1234", "NumMedia": "0"}
HTML = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def js_stringify(data: Any) -> bytes:
    """JSON.stringify(JSON.parse(raw)) in Node (what express.json() + re-stringify produce)."""
    def js(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and abs(value) > 2 ** 53:
            return int(Decimal(repr(float(value))))
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {k: js(v) for k, v in value.items()}
        if isinstance(value, list):
            return [js(v) for v in value]
        return value
    return json.dumps(js(data), separators=(",", ":"), ensure_ascii=False).encode()


def py_dumps(data: Any, **kwargs: Any) -> bytes:
    return json.dumps(data, **kwargs).encode()


def compact(data: Any, *, sort: bool = False) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=sort).encode()


def html_safe(raw: bytes) -> bytes:
    """Go's json.Marshal and Rails' to_json escape < > & inside strings."""
    for plain, escaped in HTML:
        raw = raw.replace(plain, escaped)
    return raw


def php_encode(data: Any) -> bytes:
    """PHP's json_encode defaults: compact, `/` as `\\/`, non-ASCII as \\uXXXX."""
    return json.dumps(data, separators=(",", ":")).encode().replace(b"/", b"\\/")


def pretty(data: Any, indent: int = 2) -> bytes:
    return json.dumps(data, indent=indent, ensure_ascii=False).encode()


def form_body(pairs: list[tuple[str, str]], quote_via: Callable = quote, safe: str = "") -> bytes:
    return urlencode(pairs, quote_via=lambda text, *a, **k: quote_via(text, safe=safe)).encode()


def random_secret(prefix: str = "", size: int = 24) -> str:
    return prefix + secrets.token_urlsafe(size)


def whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def slack_secret() -> str:
    return secrets.token_hex(16)


# --- signers (the provider's library, or its documented recipe) and its verifier ------------------------------

def stripe_sign(body: bytes, secret: str, t: int = NOW) -> list[tuple[str, str]]:
    return [("Stripe-Signature", stripe.WebhookSignature.generate_signature_header(body.decode(), secret, t))]


def stripe_ok(body: bytes, headers: list, secret: str) -> bool:
    try:
        stripe.WebhookSignature.verify_header(body, dict(headers).get("Stripe-Signature"), secret, tolerance=300)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
        return False
    return True


def sw_sign(body: bytes, secret: str, t: int = NOW, *, svix_names: bool = False) -> list[tuple[str, str]]:
    stamp = datetime.fromtimestamp(t, UTC)
    lib = svix.webhooks.Webhook(secret) if svix_names else standardwebhooks.Webhook(secret)
    signature = lib.sign("msg_2b4Xz", stamp, body.decode())
    p = "svix" if svix_names else "webhook"
    return [(f"{p}-id", "msg_2b4Xz"), (f"{p}-timestamp", str(t)), (f"{p}-signature", signature)]


def sw_ok(body: bytes, headers: list, secret: str) -> bool:
    lowered = {k.lower(): v for k, v in headers}
    try:
        if "svix-signature" in lowered:
            svix.webhooks.Webhook(secret).verify(body, lowered)
        else:
            standardwebhooks.Webhook(secret).verify(body, lowered)
    except Exception:
        return False
    return True


def slack_sign(body: bytes, secret: str, t: int = NOW) -> list[tuple[str, str]]:
    signature = slack_sdk.signature.SignatureVerifier(secret).generate_signature(timestamp=str(t), body=body)
    return [("X-Slack-Signature", signature), ("X-Slack-Request-Timestamp", str(t))]


def slack_ok(body: bytes, headers: list, secret: str) -> bool:
    verifier = slack_sdk.signature.SignatureVerifier(secret)
    try:
        return verifier.is_valid_request(body, dict(headers))
    except (ValueError, UnicodeDecodeError):
        return False


def twilio_sign(url: str, params: dict, token: str) -> list[tuple[str, str]]:
    return [("X-Twilio-Signature", RequestValidator(token).compute_signature(url, params))]


def twilio_ok(url: str, body: bytes, headers: list, token: str) -> bool:
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    return RequestValidator(token).validate(url, params, dict(headers).get("X-Twilio-Signature", ""))


def hex_hmac(key: bytes, message: bytes, algorithm: str = "sha256") -> str:
    return hmac.new(key, message, algorithm).hexdigest()


def b64_hmac(key: bytes, message: bytes, algorithm: str = "sha256") -> str:
    return base64.b64encode(hmac.new(key, message, algorithm).digest()).decode()


def github_sign(body: bytes, secret: str) -> list[tuple[str, str]]:
    return [("X-Hub-Signature-256", "sha256=" + hex_hmac(secret.encode(), body))]


def github_ok(body: bytes, headers: list, secret: str) -> bool:
    received = dict(headers).get("X-Hub-Signature-256", "")
    return hmac.compare_digest("sha256=" + hex_hmac(secret.encode(), body), received)


def shopify_sign(body: bytes, secret: str) -> list[tuple[str, str]]:
    return [("X-Shopify-Hmac-Sha256", b64_hmac(secret.encode(), body))]


def shopify_ok(body: bytes, headers: list, secret: str) -> bool:
    return hmac.compare_digest(b64_hmac(secret.encode(), body), dict(headers).get("X-Shopify-Hmac-Sha256", ""))


def square_sign(url: str, body: bytes, key: str) -> list[tuple[str, str]]:
    return [("x-square-hmacsha256-signature", b64_hmac(key.encode(), url.encode() + body))]


def square_ok(url: str, body: bytes, headers: list, key: str) -> bool:
    return hmac.compare_digest(b64_hmac(key.encode(), url.encode() + body),
                               dict(headers).get("x-square-hmacsha256-signature", ""))


def mr_sign(body: bytes, secret: str) -> list[tuple[str, str]]:
    return [("mr-signature", hex_hmac(secret.encode(), body)), ("mr-timestamp", str(NOW))]


def mr_ok(body: bytes, headers: list, secret: str) -> bool:
    return hmac.compare_digest(hex_hmac(secret.encode(), body), dict(headers).get("mr-signature", ""))


SPATIE = SchemeOptions(header="Signature")


def spatie_ok(body: bytes, headers: list, secret: str, header: str = "Signature", algorithm: str = "sha256",
              prefix: str = "") -> bool:
    return hmac.compare_digest(prefix + hex_hmac(secret.encode(), body, algorithm), dict(headers).get(header, ""))


# --- case builders -------------------------------------------------------------------------------------------
JSON_CT = [("Content-Type", "application/json")]
FORM_CT = [("Content-Type", "application/x-www-form-urlencoded")]


def body_case(provider: str, signed: bytes, received: bytes, *, secret: str | None = None,
              configured: str | None = None, extra: list | None = None, candidates=None,
              headers_fault: Callable[[list], list] | None = None, content_type=JSON_CT) -> Received:
    """Sign `signed` as `provider` does; hooktui and the provider's verifier get `received` (and the secret as the
    user configured it)."""
    kinds = {"stripe": (whsec, stripe_sign, stripe_ok, "stripe"),
             "standard-webhooks": (whsec, sw_sign, sw_ok, "standard-webhooks"),
             "svix": (whsec, lambda b, s: sw_sign(b, s, svix_names=True), sw_ok, "svix"),
             "slack": (slack_secret, slack_sign, slack_ok, "slack"),
             "github": (lambda: random_secret(), github_sign, github_ok, "github"),
             "shopify": (lambda: random_secret("shpss_"), shopify_sign, shopify_ok, "shopify"),
             "modelriver": (lambda: random_secret("mr_"), mr_sign, mr_ok, "modelriver")}
    make_secret, sign, ok, scheme = kinds[provider]
    secret = secret or make_secret()
    configured = secret if configured is None else configured
    headers = content_type + sign(signed, secret) + (extra or [])
    if headers_fault:
        headers = headers_fault(headers)
    return Received(SignedRequest(received, headers), scheme, [configured],
                    lambda: ok(received, headers, configured), candidates=list(candidates or []))


def spatie_case(signed: bytes, received: bytes, *, key: bytes | None = None, secret: str | None = None,
                algorithm: str = "sha256", header: str = "Signature", options: SchemeOptions = SPATIE,
                prefix: str = "") -> Received:
    secret = secret or random_secret()
    value = prefix + hex_hmac(key if key is not None else secret.encode(), signed, algorithm)
    headers = JSON_CT + [(header, value)]
    return Received(SignedRequest(received, headers), "hmac", [secret],
                    lambda: spatie_ok(received, headers, secret, options.header or "Signature", options.algorithm,
                                      options.prefix),
                    options=options)


def mangled(provider: str, change: Callable[[str], str], name: str) -> Received:
    body = compact(EVENT)
    return body_case(provider, body, body, headers_fault=lambda hs: [(k, change(v) if k == name else v)
                                                                      for k, v in hs])


def joined(provider: str, name: str) -> Received:
    body = compact(EVENT)

    def join(headers: list) -> list:
        value = dict(headers)[name]
        return [(k, f"{v}, {value}" if k == name else v) for k, v in headers]
    return body_case(provider, body, body, headers_fault=join)


def secret_case(provider: str, fault: Callable[[str], str], *, secret: str | None = None) -> Received:
    body = compact(EVENT)
    kinds = {"stripe": whsec, "slack": slack_secret, "github": random_secret, "shopify": random_secret,
             "modelriver": random_secret}
    secret = secret or kinds[provider]()
    return body_case(provider, body, body, secret=secret, configured=fault(secret))


def twilio_case(signed_url: str, received_url: str, *, token: str | None = None, configured: str | None = None,
                extra: list | None = None) -> Received:
    token = token or secrets.token_hex(16)
    configured = token if configured is None else configured
    body = urlencode(TWILIO_FORM).encode()
    headers = FORM_CT + twilio_sign(signed_url, TWILIO_FORM, token) + (extra or [])
    return Received(SignedRequest(body, headers, received_url), "twilio", [configured],
                    lambda: twilio_ok(received_url, body, headers, configured))


def square_case(signed_url: str, received_url: str) -> Received:
    key = random_secret()
    body = compact(EVENT)
    headers = JSON_CT + square_sign(signed_url, body, key)
    return Received(SignedRequest(body, headers, received_url), "square", [key],
                    lambda: square_ok(received_url, body, headers, key))


def skewed(provider: str, offset: int) -> Received:
    body = compact(EVENT)
    if provider == "stripe":
        secret = whsec()
        headers = JSON_CT + stripe_sign(body, secret, NOW + offset)
        return Received(SignedRequest(body, headers), "stripe", [secret], lambda: stripe_ok(body, headers, secret))
    if provider == "slack":
        secret = slack_secret()
        headers = FORM_CT + slack_sign(body, secret, NOW + offset)
        return Received(SignedRequest(body, headers), "slack", [secret], lambda: slack_ok(body, headers, secret))
    secret = whsec()
    headers = JSON_CT + sw_sign(body, secret, NOW + offset, svix_names=provider == "svix")
    return Received(SignedRequest(body, headers), "standard-webhooks", [secret], lambda: sw_ok(body, headers, secret))


def millis(provider: str) -> Received:
    body = compact(EVENT)
    stamp = str(NOW * 1000)
    if provider == "slack":
        secret = slack_secret()
        headers = FORM_CT + slack_sign(body, secret, NOW * 1000)
        return Received(SignedRequest(body, headers), "slack", [secret], lambda: slack_ok(body, headers, secret))
    # a sender's own Standard Webhooks signer writing Date.now(): signed exactly as the spec says, over that text
    secret = whsec()
    key = base64.b64decode(secret[6:])
    p = "svix" if provider == "svix" else "webhook"
    signature = "v1," + b64_hmac(key, f"msg_1.{stamp}.".encode() + body)
    headers = JSON_CT + [(f"{p}-id", "msg_1"), (f"{p}-timestamp", stamp), (f"{p}-signature", signature)]
    return Received(SignedRequest(body, headers), "standard-webhooks", [secret], lambda: sw_ok(body, headers, secret))


def gzip_received(provider: str) -> Received:
    body = compact(EVENT)
    return body_case(provider, body, gzip.compress(body, mtime=0), extra=[("Content-Encoding", "gzip")])


def gzip_signed(provider: str) -> Received:
    body = compact(EVENT)
    return body_case(provider, gzip.compress(body, mtime=0), body)


def truncated(provider: str) -> Received:
    body = pretty(EVENT)
    return body_case(provider, body, body[:len(body) // 2], extra=[("Content-Length", str(len(body)))])


def mojibake(provider: str, charset: str) -> Received:
    body = compact(EVENT)
    return body_case(provider, body, body.decode("utf-8").encode("utf-8").decode(charset).encode("utf-8"))


def form_case(signed: bytes, received: bytes) -> Received:
    return body_case("slack", signed, received, content_type=FORM_CT)


def candidate_case(provider: str, label: str) -> Received:
    body = compact(EVENT)
    kinds = {"stripe": whsec, "slack": slack_secret, "github": random_secret}
    used, configured = kinds[provider](), kinds[provider]()
    return body_case(provider, body, body, secret=used, configured=configured, candidates=[(label, used)])


E = EVENT
SIGNED_URL = "https://abc123.ngrok.app/webhooks/twilio/sms"

MISTAKES: list[Mistake] = [
    # JSON re-encoded by another runtime (the body the verifier hashes is not the bytes signed)
    Mistake("github", "rails-html-escaped-restringified", "json.html_escaped", "express.json",
            lambda: body_case("github", html_safe(compact(E)), js_stringify(E))),
    Mistake("shopify", "rails-html-escaped-restringified", "json.html_escaped", "shopify-raw",
            lambda: body_case("shopify", html_safe(compact(E)), js_stringify(E))),
    Mistake("shopify", "rails-html-escaped-python-dumps", "json.html_escaped", "shopify-raw",
            lambda: body_case("shopify", html_safe(compact(E)), py_dumps(E))),
    Mistake("standard-webhooks", "go-marshal-restringified", "json.html_escaped", "go-html-escape",
            lambda: body_case("standard-webhooks", html_safe(compact(E, sort=True)), js_stringify(
                json.loads(compact(E, sort=True))))),
    Mistake("modelriver", "go-marshal-python-dumps", "json.html_escaped", "go-html-escape-2",
            lambda: body_case("modelriver", html_safe(compact(E)), py_dumps(E, ensure_ascii=False))),
    Mistake("stripe", "pretty-restringified", "json.whitespace", "stringify",
            lambda: body_case("stripe", pretty(E), js_stringify(E))),
    Mistake("stripe", "pretty-python-dumps", "json.whitespace", "stringify",
            lambda: body_case("stripe", pretty(E), py_dumps(E, ensure_ascii=False))),
    Mistake("slack", "compact-pretty-printed-4", "json.whitespace", "round-trip",
            lambda: body_case("slack", compact(E), pretty(E, 4))),
    Mistake("svix", "compact-pretty-printed-2", "json.whitespace", "round-trip",
            lambda: body_case("svix", compact(E), pretty(E, 2))),
    Mistake("svix", "python-ascii-restringified", "json.non_ascii", "round-trip",
            lambda: body_case("svix", py_dumps(E, separators=(",", ":")), js_stringify(E))),
    Mistake("github", "utf8-python-dumps-escaped", "json.non_ascii", "express.json",
            lambda: body_case("github", compact(E), py_dumps(E, separators=(",", ":")))),
    Mistake("modelriver", "sort-keys-signed-requests-json", "json.sorted_keys", "key-order",
            lambda: body_case("modelriver", py_dumps(E, sort_keys=True), py_dumps(E))),
    Mistake("github", "go-map-sorted-signed", "json.sorted_keys", "key-order",
            lambda: body_case("github", compact(E, sort=True), compact(E))),
    Mistake("hmac", "php-slash-escaped-restringified", "json.slash_escaped", "php-slash",
            lambda: spatie_case(php_encode(E), js_stringify(E))),
    Mistake("modelriver", "php-slash-escaped-python-dumps", "json.slash_escaped", "php-slash",
            lambda: body_case("modelriver", php_encode(E), py_dumps(E))),
    Mistake("github", "js-rounded-big-integer-signed", "json.big_integers", "big-int",
            lambda: body_case("github", js_stringify(BIG), compact(BIG))),
    Mistake("modelriver", "js-reformatted-floats-signed", "json.floats", "round-trip",
            lambda: body_case("modelriver", js_stringify(FLOATS), compact(FLOATS))),
    # bytes changed in transit
    *[Mistake(p, "trailing-newline-added", "bytes.trailing_newline", "newline",
              lambda p=p: body_case(p, compact(E), compact(E) + b"\n"))
      for p in ("github", "stripe", "shopify", "modelriver", "standard-webhooks")],
    Mistake("slack", "trailing-newline-added", "bytes.trailing_newline", "newline",
            lambda: form_case(form_body(FORM), form_body(FORM) + b"\n")),
    *[Mistake(p, "trailing-newline-stripped", "bytes.trailing_newline", "newline",
              lambda p=p: body_case(p, pretty(E) + b"\n", pretty(E))) for p in ("github", "standard-webhooks")],
    *[Mistake(p, "crlf-line-endings", "bytes.line_endings", "crlf",
              lambda p=p: body_case(p, pretty(E), pretty(E).replace(b"\n", b"\r\n"))) for p in ("stripe", "github")],
    *[Mistake(p, "utf8-bom-added", "bytes.bom", "bom",
              lambda p=p: body_case(p, compact(E), b"\xef\xbb\xbf" + compact(E)))
      for p in ("standard-webhooks", "modelriver")],
    *[Mistake(p, "truncated", "bytes.truncated", "truncated", lambda p=p: truncated(p)) for p in ("github", "stripe")],
    Mistake("shopify", "utf8-read-as-latin1", "bytes.charset", "charset", lambda: mojibake("shopify", "latin-1")),
    Mistake("github", "utf8-read-as-cp1252", "bytes.charset", "charset", lambda: mojibake("github", "cp1252")),
    Mistake("modelriver", "signed-with-question-marks", "bytes.charset", "charset-replace",
            lambda: body_case("modelriver", compact(E).decode().encode("ascii", "replace"), compact(E))),
    Mistake("github", "gzip-body-not-decompressed", "bytes.compression", "gzip", lambda: gzip_received("github")),
    Mistake("modelriver", "gzip-signed-body-decompressed", "bytes.compression", "gzip",
            lambda: gzip_signed("modelriver")),
    # forms re-encoded (Slack signs the raw form body)
    Mistake("slack", "form-percent20-as-plus", "form.space_encoding", "form-space",
            lambda: form_case(form_body(FORM, quote, "!'()*~"), urlencode(FORM).encode())),
    Mistake("slack", "form-plus-as-percent20", "form.space_encoding", "form-reencode",
            lambda: form_case(urlencode(FORM).encode(), form_body(FORM, quote, "~"))),
    Mistake("slack", "form-star-decoded", "form.reserved_chars", "form-star",
            lambda: form_case(urlencode(FORM).encode(), urlencode(FORM, safe="*~").encode())),
    Mistake("slack", "form-params-reordered", "form.order", "form-reencode",
            lambda: form_case(urlencode(sorted(FORM)).encode(), urlencode(FORM).encode())),
    Mistake("slack", "form-blank-params-not-signed", "form.blank_dropped", "form-blank",
            lambda: form_case(urlencode(FORM).encode(),
                              urlencode(FORM[:3] + [("channel_id", "")] + FORM[3:]).encode())),
    # the secret
    *[Mistake(p, "secret-trailing-newline", "secret.whitespace", "secret-newline",
              lambda p=p: secret_case(p, lambda s: s + "\n")) for p in ("stripe", "github", "shopify", "modelriver")],
    Mistake("slack", "secret-padded-with-spaces", "secret.whitespace", "secret-newline-2",
            lambda: secret_case("slack", lambda s: f"  {s} ")),
    Mistake("twilio", "token-trailing-newline", "secret.whitespace", "secret-newline-2",
            lambda: (lambda token: twilio_case(SIGNED_URL, SIGNED_URL, token=token, configured=token + "\n"))(
                secrets.token_hex(16))),
    *[Mistake(p, "secret-quoted-in-env-file", "secret.quotes", "secret-quotes",
              lambda p=p, q=q: secret_case(p, lambda s: f"{q}{s}{q}"))
      for p, q in (("stripe", '"'), ("github", "'"), ("slack", '"'))],
    Mistake("stripe", "secret-whsec-prefix-stripped", "secret.whsec_prefix", "whsec",
            lambda: secret_case("stripe", lambda s: s.removeprefix("whsec_"))),
    Mistake("svix", "sender-used-whsec-text", "secret.whsec_encoding", "whsec",
            lambda: (lambda s: body_case("svix", compact(E), compact(E), configured=s, headers_fault=lambda hs: [
                (k, "v1," + b64_hmac(s.encode(), f"msg_2b4Xz.{NOW}.".encode() + compact(E))
                 if k == "svix-signature" else v) for k, v in hs]))(whsec())),
    Mistake("github", "sender-decoded-whsec", "secret.whsec_encoding", "whsec",
            lambda: (lambda s: body_case("github", compact(E), compact(E), configured=s, headers_fault=lambda hs: [
                (k, "sha256=" + hex_hmac(base64.b64decode(s[6:]), compact(E)) if k == "X-Hub-Signature-256" else v)
                for k, v in hs]))(whsec())),
    Mistake("hmac", "sender-hex-decoded-secret", "secret.encoding", "secret-newline-2",
            lambda: (lambda s: spatie_case(compact(E), compact(E), secret=s, key=bytes.fromhex(s)))(
                secrets.token_hex(32))),
    Mistake("hmac", "sender-base64-decoded-secret", "secret.encoding", "secret-newline-2",
            lambda: (lambda s: spatie_case(compact(E), compact(E), secret=s, key=base64.b64decode(s)))(
                base64.b64encode(secrets.token_bytes(32)).decode())),
    Mistake("stripe", "test-mode-secret-signed", "secret.other_candidate", "test-live",
            lambda: candidate_case("stripe", "$STRIPE_WEBHOOK_SECRET")),
    Mistake("github", "rotated-out-secret-signed", "secret.other_candidate", "test-live",
            lambda: candidate_case("github", "the secret of route `old-hooks`")),
    Mistake("slack", "other-app-secret-signed", "secret.other_candidate", "test-live",
            lambda: candidate_case("slack", "$SLACK_SIGNING_SECRET")),
    # algorithm and encoding
    Mistake("hmac", "sha512-where-sha256-expected", "sig.algorithm", "algorithm",
            lambda: spatie_case(compact(E), compact(E), algorithm="sha512")),
    Mistake("hmac", "sha256-where-sha1-expected", "sig.algorithm", "algorithm",
            lambda: spatie_case(compact(E), compact(E), options=SchemeOptions(header="Signature", algorithm="sha1"))),
    Mistake("modelriver", "sha1-where-sha256-expected", "sig.algorithm", "algorithm",
            lambda: (lambda s: body_case("modelriver", compact(E), compact(E), secret=s, headers_fault=lambda hs: [
                (k, hex_hmac(s.encode(), compact(E), "sha1") if k == "mr-signature" else v) for k, v in hs]))(
                random_secret())),
    Mistake("shopify", "hex-instead-of-base64", "sig.encoding", "encoding",
            lambda: mangled("shopify", lambda v: base64.b64decode(v).hex(), "X-Shopify-Hmac-Sha256")),
    Mistake("modelriver", "base64-instead-of-hex", "sig.encoding", "encoding",
            lambda: mangled("modelriver", lambda v: base64.b64encode(bytes.fromhex(v)).decode(), "mr-signature")),
    Mistake("github", "base64-after-prefix", "sig.encoding", "encoding",
            lambda: mangled("github", lambda v: "sha256=" + base64.b64encode(bytes.fromhex(v[7:])).decode(),
                            "X-Hub-Signature-256")),
    Mistake("github", "prefix-missing", "sig.missing_prefix", "prefix",
            lambda: mangled("github", lambda v: v.removeprefix("sha256="), "X-Hub-Signature-256")),
    Mistake("slack", "prefix-missing", "sig.missing_prefix", "prefix",
            lambda: mangled("slack", lambda v: v.removeprefix("v0="), "X-Slack-Signature")),
    Mistake("hmac", "configured-prefix-missing", "sig.missing_prefix", "prefix",
            lambda: spatie_case(compact(E), compact(E), options=SchemeOptions(header="Signature",
                                                                              prefix="sha256="))),
    Mistake("hmac", "signature-in-another-header", "sig.wrong_header", "wrong-header",
            lambda: spatie_case(compact(E), compact(E), header="X-Webhook-Signature")),
    Mistake("modelriver", "signature-in-x-signature", "sig.wrong_header", "wrong-header",
            lambda: mangled_header("modelriver", "mr-signature", "X-Signature")),
    Mistake("github", "signature-in-x-signature-256", "sig.wrong_header", "wrong-header",
            lambda: mangled_header("github", "X-Hub-Signature-256", "X-Signature-256")),
    # time
    Mistake("stripe", "ten-minutes-old", "time.skew", "skew", lambda: skewed("stripe", -600)),
    Mistake("slack", "twenty-minutes-old", "time.skew", "skew", lambda: skewed("slack", -1200)),
    Mistake("standard-webhooks", "clock-400s-ahead", "time.skew", "skew", lambda: skewed("standard-webhooks", 400)),
    Mistake("svix", "an-hour-old", "time.skew", "skew", lambda: skewed("svix", -3600)),
    Mistake("standard-webhooks", "timestamp-in-milliseconds", "time.milliseconds", "millis",
            lambda: millis("standard-webhooks")),
    Mistake("svix", "timestamp-in-milliseconds", "time.milliseconds", "millis", lambda: millis("svix")),
    Mistake("slack", "timestamp-in-milliseconds", "time.milliseconds", "millis", lambda: millis("slack")),
    # URL-signed schemes
    Mistake("twilio", "https-ended-by-tunnel", "url.scheme", "proxy-https",
            lambda: twilio_case(SIGNED_URL, SIGNED_URL.replace("https:", "http:"))),
    Mistake("square", "https-ended-by-proxy", "url.scheme", "proxy-https",
            lambda: square_case("https://shop.example.com/square/hook", "http://shop.example.com/square/hook")),
    Mistake("twilio", "port-dropped-and-http", "url.port", "port",
            lambda: twilio_case(SIGNED_URL.replace(".app/", ".app:8443/"), SIGNED_URL.replace("https:", "http:"),
                                extra=[("X-Forwarded-Proto", "https"), ("X-Forwarded-Port", "8443")])),
    Mistake("square", "port-added", "url.port", "port",
            lambda: square_case("https://shop.example.com/square/hook", "https://shop.example.com:8080/square/hook")),
    Mistake("twilio", "local-host-behind-proxy", "url.host", "host",
            lambda: twilio_case(SIGNED_URL, "https://127.0.0.1:8090/webhooks/twilio/sms",
                                extra=[("X-Forwarded-Host", "abc123.ngrok.app")])),
    Mistake("twilio", "trailing-slash-added", "url.trailing_slash", "slash",
            lambda: twilio_case(SIGNED_URL, SIGNED_URL + "/")),
    Mistake("square", "trailing-slash-removed", "url.trailing_slash", "slash",
            lambda: square_case("https://shop.example.com/square/hook/", "https://shop.example.com/square/hook")),
    Mistake("twilio", "query-reordered", "url.query", "query-order",
            lambda: twilio_case(SIGNED_URL + "?a=1&b=2", SIGNED_URL + "?b=2&a=1")),
    Mistake("twilio", "query-re-encoded", "url.query", "query-encoding",
            lambda: twilio_case(SIGNED_URL + "?msg=Couldn%27t+find+it", SIGNED_URL + "?msg=Couldn%27t%20find%20it")),
    # header mangling
    Mistake("github", "header-quoted", "header.quoted", "header-joined",
            lambda: mangled("github", lambda v: f'"{v}"', "X-Hub-Signature-256")),
    Mistake("shopify", "header-quoted", "header.quoted", "header-joined",
            lambda: mangled("shopify", lambda v: f'"{v}"', "X-Shopify-Hmac-Sha256")),
    Mistake("shopify", "header-folded-whitespace", "header.whitespace", "header-joined",
            lambda: mangled("shopify", lambda v: v[:20] + " " + v[20:], "X-Shopify-Hmac-Sha256")),
    Mistake("github", "prefix-upper-cased", "header.case", "header-joined",
            lambda: mangled("github", lambda v: v.replace("sha256=", "SHA256="), "X-Hub-Signature-256")),
    Mistake("github", "header-duplicated-and-joined", "header.joined", "header-joined",
            lambda: joined("github", "X-Hub-Signature-256")),
    Mistake("slack", "header-duplicated-and-joined", "header.joined", "header-joined",
            lambda: joined("slack", "X-Slack-Signature")),
]


def mangled_header(provider: str, name: str, instead: str) -> Received:
    body = compact(EVENT)
    return body_case(provider, body, body, headers_fault=lambda hs: [(instead if k == name else k, v) for k, v in hs])


# --- controls: forged (random bytes where the signature goes) and correctly signed events ------------------------

def forged(provider: str) -> Received:
    """The right secret, the right body, a signature of random bytes in the right shape."""
    body = compact(EVENT)
    fake32 = secrets.token_bytes(32)
    shapes = {
        "github": lambda hs: [("X-Hub-Signature-256", "sha256=" + fake32.hex())],
        "stripe": lambda hs: [("Stripe-Signature", f"t={NOW},v1={fake32.hex()}")],
        "slack": lambda hs: [("X-Slack-Signature", "v0=" + fake32.hex()), ("X-Slack-Request-Timestamp", str(NOW))],
        "standard-webhooks": lambda hs: [(k, "v1," + base64.b64encode(fake32).decode() if k == "webhook-signature"
                                          else v) for k, v in hs],
        "shopify": lambda hs: [("X-Shopify-Hmac-Sha256", base64.b64encode(fake32).decode())],
        "modelriver": lambda hs: [("mr-signature", fake32.hex())],
    }
    if provider == "twilio":
        token = secrets.token_hex(16)
        body = urlencode(TWILIO_FORM).encode()
        headers = FORM_CT + [("X-Twilio-Signature", base64.b64encode(secrets.token_bytes(20)).decode())]
        return Received(SignedRequest(body, headers, SIGNED_URL), "twilio", [token],
                        lambda: twilio_ok(SIGNED_URL, body, headers, token))
    return body_case(provider, body, body, headers_fault=lambda hs: JSON_CT + [
        h for h in shapes[provider](hs) if h[0].lower() != "content-type"])


def correctly_signed(provider: str) -> Received:
    if provider == "twilio":
        return twilio_case(SIGNED_URL, SIGNED_URL)
    if provider == "square":
        return square_case("https://shop.example.com/square/hook", "https://shop.example.com/square/hook")
    return body_case(provider, pretty(EVENT), pretty(EVENT))


CONTROL_PROVIDERS = ("github", "stripe", "slack", "standard-webhooks", "shopify", "modelriver", "twilio")
