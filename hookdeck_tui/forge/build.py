"""Turning a template (or edited data) into the exact request to send: body bytes, the provider's headers, the
signature — right, or wrong on purpose (`--bad-signature`, `--tamper-body`, `--stale`) to test an app's rejection
path. Re-signing a captured request for replay uses the same signing step."""

from __future__ import annotations

import base64
import copy
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from hookdeck_tui.delivery.request import Outgoing
from hookdeck_tui.forge.overrides import apply
from hookdeck_tui.forge.templates import Template
from hookdeck_tui.roundtrip.contract import CALLBACK_PREFIX
from hookdeck_tui.signatures import SECRET_ENV, SchemeOptions, canonical_name, get_scheme
from hookdeck_tui.signatures.resign import replace_signature, secret_for

VARIANTS = ("bad-signature", "tamper-body", "stale")
STALE_SECONDS = 3600


class ForgeError(ValueError):
    """A forge request that cannot be built; the message says what to change."""


@dataclass
class Forged:
    request: Outgoing
    template: str
    scheme: str | None
    variant: str | None
    channel_id: str | None = None  # set when the event asks for a callback (the round trip)
    notes: list[str] = field(default_factory=list)
    secret: str | None = field(default=None, repr=False)  # the right one (to judge the result); never stored
    message_id: str | None = None  # the signed message id (webhook-id): a provider's retry keeps it


@dataclass
class ForgeSpec:
    template: Template
    url: str
    data: Any = None  # replaces the template's body (parsed JSON, or a form mapping)
    sets: list[str] = field(default_factory=list)
    scheme: str | None = None  # None: the template's; "none": unsigned
    secret: str | None = None
    options: SchemeOptions | None = None
    variant: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    callback_base: str | None = None  # the console's listener URL: callback_url points at its callback route
    now: float | None = None


def target_url(url: str, template: Template) -> str:
    """A bare origin (`http://localhost:4000`) gets the template's path; a URL with a path is used as given."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ForgeError(f"{url!r} is not a URL like http://127.0.0.1:4000/webhooks")
    return url.rstrip("/") + template.path if parts.path in ("", "/") else url


def forge(spec: ForgeSpec) -> Forged:
    template = spec.template
    now = time.time() if spec.now is None else spec.now
    if spec.variant is not None and spec.variant not in VARIANTS:
        raise ForgeError(f"unknown variant {spec.variant!r}; one of {', '.join(VARIANTS)}")
    body = copy.deepcopy(spec.data) if spec.data is not None else template.build(now)
    channel = None
    explicit_callback = any(s.split("=", 1)[0].strip() == "callback_url" for s in spec.sets)
    if template.round_trip and isinstance(body, dict):
        channel = str(body.get("channel_id") or uuid.uuid4())
        body["channel_id"] = channel
        if spec.callback_base and not explicit_callback:
            body["callback_url"] = spec.callback_base.rstrip("/") + CALLBACK_PREFIX + channel
    body = apply(body, spec.sets)
    if template.round_trip and isinstance(body, dict) and body.get("channel_id"):
        channel = str(body["channel_id"])  # a --set channel_id wins
    raw = encode_body(body, form=template.form)
    headers = list(template.headers(body if isinstance(body, dict) else {}))
    scheme = template.scheme if spec.scheme is None else None if spec.scheme == "none" else canonical_name(spec.scheme)
    url = target_url(spec.url, template)
    notes: list[str] = []
    signed_body = raw
    right_secret = message_id = None
    _check_variant_applies(spec.variant, scheme, spec.options)
    if spec.variant == "tamper-body":
        raw = tamper(raw, form=template.form)
        notes.append("the body was changed after signing: the app must reject it")
    if scheme is not None:
        secret = secret_for(scheme, spec.secret)
        if not secret:
            hint = f", ${SECRET_ENV[scheme]}" if scheme in SECRET_ENV else ""
            raise ForgeError(f"signing as {scheme} needs a secret: --secret SECRET (or $HOOKTUI_SECRET{hint}); "
                             f"--scheme none sends it unsigned")
        right_secret = secret
        if spec.variant == "bad-signature":
            secret = wrong_secret(scheme, secret)
            notes.append("signed with another secret: the app must reject it")
        stamp = int(now) - (STALE_SECONDS if spec.variant == "stale" else 0)
        if spec.variant == "stale":
            tolerance = get_scheme(scheme, spec.options).tolerance
            notes.append(f"timestamped {STALE_SECONDS} s ago: outside {scheme}'s {tolerance:g} s tolerance, the app "
                         f"must reject it")
        message_id = f"msg_{secrets.token_hex(12)}"
        headers = replace_signature(headers, signed_body, scheme, secret, stamp, message_id, url, spec.options)
    headers = _merge(headers, spec.headers)
    return Forged(Outgoing("POST", url, headers, raw), template.name, scheme, spec.variant, channel, notes,
                  right_secret, message_id)


def _check_variant_applies(variant: str | None, scheme: str | None, options: SchemeOptions | None) -> None:
    """A broken variant a correct app cannot tell from a good event would report a correct app as failing: refuse
    it (a usage error) and say why."""
    if variant is None:
        return
    if scheme is None:
        raise ForgeError(f"--{variant} needs a signing scheme (--scheme); the event is sent unsigned, so there is "
                         f"no signature to break")
    if variant == "stale" and get_scheme(scheme, options).tolerance is None:
        hint = (" (an app that signs `{timestamp}.{body}` can say so with --signed-content)"
                if scheme in ("modelriver", "hmac") else "")
        raise ForgeError(f"--stale cannot apply to {scheme}: its signature covers no timestamp, so an app that "
                         f"verifies it correctly cannot tell an old event from a new one{hint}")


def encode_body(body: Any, *, form: bool = False) -> bytes:
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if form and isinstance(body, dict):
        return urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}).encode()
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def tamper(raw: bytes, *, form: bool) -> bytes:
    """A small, plausible change an attacker (or a buggy proxy) makes: one more field."""
    if form:
        return raw + b"&tampered=1"
    try:
        value = json.loads(raw)
    except ValueError:
        return raw + b" "
    if isinstance(value, dict):
        value["tampered"] = True
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return raw + b" "


def wrong_secret(scheme: str, secret: str) -> str:
    """A secret of the right shape that is not `secret`."""
    if scheme == "discord":
        return secrets.token_hex(32)
    if secret.startswith("whsec_"):
        return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    return secret + "-not-the-secret"


def _merge(headers: list[tuple[str, str]], extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`-H` headers replace the template's of the same name; new ones are appended."""
    names = {k.lower() for k, _ in extra}
    return [(k, v) for k, v in headers if k.lower() not in names] + list(extra)
