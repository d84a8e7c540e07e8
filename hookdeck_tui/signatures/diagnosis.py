"""Why did a signature not match? Each usual cause is *tested*: the signature is recomputed under that cause, and
only the causes that would have made it valid are reported (SPEC §4)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

from hookdeck_tui.signatures.base import Parsed, Scheme, SecretError
from hookdeck_tui.signatures.request import SignedRequest
from hookdeck_tui.signatures.url_signed import NeedsUrl

_DEFAULT_PORTS = {"http": 80, "https": 443}


def diagnose(scheme: Scheme, parsed: Parsed, request: SignedRequest, secrets: list[str],
             others: list[Scheme]) -> list[str]:
    """Causes that, undone, make the signature valid — most likely first."""
    found: list[str] = []
    body, url = request.body, request.url

    # every single cause, then every pair of a body cause and a secret cause (both happen together in practice)
    keys: list[tuple[str | None, bytes | None]] = [(None, None)]
    keys += [(label, key) for secret in secrets for label, key in _key_variants(scheme, secret)]
    bodies: list[tuple[str | None, bytes]] = [(None, body)] + list(_body_variants(body))
    for key_label, key in keys:
        for body_label, variant in bodies:
            if key_label is None and body_label is None:
                continue
            if key is None:
                hit = any(_safely(scheme.matches, parsed, variant, s, url) for s in secrets)
            else:
                hit = _safely(scheme.matches_key, parsed, variant, key, url)
            if hit:
                found.append(" and ".join(label for label in (body_label, key_label) if label))
    if scheme.needs_url and url:
        for variant in _url_variants(url):
            if any(_safely(scheme.matches, parsed, body, s, variant) for s in secrets):
                found.append(f"the provider signed the URL `{variant}`, not `{url}`: a proxy or tunnel changed the "
                             f"scheme, port or path — set the public URL the provider calls")
    for other in others:
        if other.name == scheme.name:
            continue
        try:
            other_parsed = other.parse(request)
        except Exception:  # noqa: BLE001 - the other scheme's header may be malformed; it is only a guess
            continue
        if any(_safely(other.matches, other_parsed, body, s, url) for s in secrets):
            found.append(f"the request is validly signed as {other.name}, not {scheme.name}: set the scheme to "
                         f"`{other.name}`")
    return list(dict.fromkeys(found))


def _safely(test: Callable[..., bool], *args: object) -> bool:
    """A variant that cannot even be computed (bad key, no URL) is simply not the explanation."""
    try:
        return test(*args)
    except (SecretError, NeedsUrl, ValueError):
        return False


def notes(scheme: Scheme, parsed: Parsed, request: SignedRequest, others: list[Scheme], now: float) -> list[str]:
    """Facts worth knowing that do not by themselves explain a mismatch."""
    out = []
    if parsed.timestamp is not None:
        skew = now - parsed.timestamp
        if abs(skew) > 60:
            when = f"{skew:.0f} s in the past" if skew > 0 else f"{-skew:.0f} s in the future"
            out.append(f"the signed timestamp is {when} of this machine's clock: an old request replayed, or a "
                       f"clock that is off")
    other_names = [o.name for o in others if o.name != scheme.name]
    if other_names:
        out.append(f"the request also carries {', '.join(other_names)} signature headers")
    return out


def _body_variants(body: bytes) -> Iterator[tuple[str, bytes]]:
    """The simplest explanation first: a newline, then re-serialized JSON layouts."""
    seen = {body}

    def fresh(variant: bytes) -> bool:
        if variant in seen:
            return False
        seen.add(variant)
        return True

    if body.endswith(b"\n"):
        stripped = body.rstrip(b"\r\n")
        if fresh(stripped):
            yield "a trailing newline was added after signing: the sender signed the body without it", stripped
    else:
        for ending in (b"\n", b"\r\n"):
            if fresh(body + ending):
                yield (f"a trailing newline was lost after signing: the sender signed the body ending in "
                       f"{ending!r}"), body + ending
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return
    layouts = (
        ("compact JSON", {"separators": (",", ":")}),
        ("JSON with `, ` and `: ` separators", {}),
        ("pretty-printed JSON (2-space indent)", {"indent": 2}),
        ("pretty-printed JSON (4-space indent)", {"indent": 4}),
    )
    for label, layout in layouts:
        for escaped in (False, True):
            variant = json.dumps(data, ensure_ascii=escaped, **layout).encode("utf-8")
            if fresh(variant):
                form = label + (" with non-ASCII characters escaped" if escaped else "")
                yield (f"the body was re-serialized after signing: the sender signed it as {form} — verify "
                       f"the raw bytes received, never a parsed and re-encoded copy"), variant


def _key_variants(scheme: Scheme, secret: str) -> Iterator[tuple[str, bytes]]:
    trimmed = secret.strip()
    if trimmed != secret:
        try:
            yield ("the configured secret has whitespace around it (a newline from a file or a paste?); the sender "
                   "used it trimmed"), scheme.key(trimmed)
        except SecretError:
            pass
    if scheme.name == "standard-webhooks":
        yield ("the sender used the `whsec_` secret as raw text instead of base64-decoding the part after "
               "`whsec_`"), trimmed.encode()
        yield ("the sender used the part after `whsec_` as raw text instead of base64-decoding it",
               trimmed.removeprefix("whsec_").encode())
    elif trimmed.startswith("whsec_"):
        try:
            decoded = base64.b64decode(trimmed[6:], validate=True)
        except (ValueError, binascii.Error):
            decoded = None
        if decoded:
            yield ("the sender base64-decoded the `whsec_` secret (as Standard Webhooks does) instead of using it as "
                   "text"), decoded
    elif scheme.name == "stripe":
        yield "the sender's secret starts with `whsec_` and the configured one lacks that prefix", \
            ("whsec_" + trimmed).encode()


def _url_variants(url: str) -> Iterator[str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    seen = {url}
    for scheme in ("https", "http"):
        for with_port in (False, True):
            for toggle_slash in (False, True):
                netloc = f"{host}:{_DEFAULT_PORTS[scheme]}" if with_port else host
                if parts.port and parts.port not in _DEFAULT_PORTS.values():
                    netloc = f"{host}:{parts.port}"
                path = parts.path
                if toggle_slash:
                    path = path[:-1] if path.endswith("/") else path + "/"
                variant = urlunsplit((scheme, netloc, path, parts.query, parts.fragment))
                if variant not in seen:
                    seen.add(variant)
                    yield variant
