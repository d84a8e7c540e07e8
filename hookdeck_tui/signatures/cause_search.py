"""The search behind a diagnosis: each class of cause (the signature header, the timestamp, another scheme, the
secret, bytes changed in transit, JSON re-encoded, forms re-encoded, the signed URL, then pairs), each variant
recomputed by `Search.check` within the time budget, and the causes found in the order they were found (the most
telling classes and the fewest changes first)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hookdeck_tui.bounds import loads_bounded
from hookdeck_tui.signatures.base import ALGORITHMS, MalformedSignature, MissingSignature, Parsed, Scheme, SecretError
from hookdeck_tui.signatures.body_variants import (
    charset_variants,
    compression_variants,
    form_pairs,
    form_variants,
    transit_variants,
    truncation_evidence,
)
from hookdeck_tui.signatures.json_layouts import json_variants
from hookdeck_tui.signatures.request import SignedRequest
from hookdeck_tui.signatures.request_repairs import header_repairs, timestamp_repairs, url_repairs
from hookdeck_tui.signatures.secret_variants import secret_variants
from hookdeck_tui.signatures.url_signed import NeedsUrl
from hookdeck_tui.signatures.verdict import SignatureVerdict

CLASSES = {
    "time": "the timestamp (skew, milliseconds)",
    "scheme": "another signature scheme",
    "signature": "the signature header (prefix, encoding, algorithm, quotes, case, joined values, another header)",
    "secret": "the secret (whitespace, quotes, `whsec_`, hex/base64 used as text, other candidate secrets)",
    "bytes": "bytes changed in transit (newline, line endings, BOM, charset, compression, truncation)",
    "json": "JSON re-encoded by another runtime",
    "form": "form parameters re-encoded",
    "url": "the URL the provider signed (scheme, port, host, trailing slash, query)",
    "pairs": "a body change together with a secret change",
}


@dataclass
class Limits:
    """Bodies up to `full_body` bytes get every test; larger ones only the tests that cost one HMAC each (the body
    is not re-encoded). Pairs of causes only up to `pairs_body`. The whole search stops after `seconds`."""

    full_body: int = 1024 * 1024
    pairs_body: int = 64 * 1024
    seconds: float = 2.0


@dataclass
class Cause:
    """A change that, undone, makes the signature valid. `ids` are stable (tests and tools match them, not prose);
    the first is the main one. `secret` is the index of the configured secret it used, when there are several."""

    ids: tuple[str, ...]
    text: str
    secret: int | None = None
    candidate: str | None = None  # the label of another known secret that signed it

    @property
    def id(self) -> str:
        return self.ids[0]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "ids": list(self.ids), "text": self.text}
        if self.secret is not None:
            data["secret"] = self.secret + 1
        if self.candidate:
            data["candidate"] = self.candidate
        return data


class Search:
    """The recomputations of one diagnosis, with the time budget and the per-class bookkeeping."""

    def __init__(self, scheme: Scheme, request: SignedRequest, secrets: list[str], limits: Limits) -> None:
        self.scheme, self.request, self.secrets, self.limits = scheme, request, secrets, limits
        self.start = time.perf_counter()
        self.keys: list[tuple[int, bytes]] = []
        for index, secret in enumerate(secrets):
            try:
                self.keys.append((index, scheme.key(secret)))
            except SecretError:
                continue
        self.parsed = parse(scheme, request)
        self.causes: list[Cause] = []
        self.tested = 0
        self.tried: dict[str, int] = {}
        self.hits: dict[str, int] = {}
        self.out_of_time: set[str] = set()
        self.seen_bodies: set[bytes] = {fingerprint(request.body)}  # digests: a 1 MiB body has ~100 variants

    def over(self) -> bool:
        return time.perf_counter() - self.start > self.limits.seconds

    def check(self, klass: str, request: SignedRequest | None = None, *, body: bytes | None = None,
              keys: Sequence[tuple[int, bytes]] | None = None, algorithm: str | None = None) -> int | None:
        """The index of the secret that makes the signature valid under this change, or None."""
        if self.over():
            self.out_of_time.add(klass)
            return None
        self.tested += 1
        self.tried[klass] = self.tried.get(klass, 0) + 1
        parsed = self.parsed if request is None else parse(self.scheme, request)
        request = request or self.request
        if parsed is None:
            return None
        if algorithm:
            parsed = replace(parsed, algorithm=algorithm)
        for index, key in keys if keys is not None else self.keys:
            try:
                if self.scheme.matches_key(parsed, request.body if body is None else body, key, request.url):
                    return index
            except (NeedsUrl, SecretError, ValueError):
                return None
        return None

    def found(self, klass: str, ids: Iterable[str], text: str, secret: int | None,
              candidate: str | None = None) -> None:
        self.hits[klass] = self.hits.get(klass, 0) + 1
        which = f" (with secret {secret + 1} of {len(self.secrets)})" if secret is not None and \
            len(self.secrets) > 1 and candidate is None else ""
        self.causes.append(Cause(tuple(ids), text + which, secret if len(self.secrets) > 1 else None, candidate))

    def fresh_body(self, variant: bytes) -> bool:
        digest = fingerprint(variant)
        if digest in self.seen_bodies:
            return False
        self.seen_bodies.add(digest)
        return True


def fingerprint(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=16).digest()


def search_all(search: Search, verdict: SignatureVerdict, candidates: Sequence[tuple[str, str]], now: float,
                 tolerance: float | None) -> None:
    """Every class of cause, most telling first; a later class still runs when an earlier one found something
    (a diagnosis names every change that makes it valid)."""
    if verdict.status == "expired":
        _time_causes(search, now, tolerance)
        return
    for klass, run in (("signature", _signature_causes), ("time", _timestamp_causes), ("scheme", _other_schemes),
                       ("secret", lambda s: _secret_causes(s, candidates)), ("bytes", _bytes_causes),
                       ("json", _json_causes), ("form", _form_causes), ("url", _url_causes)):
        if search.parsed is None and klass != "signature":
            continue
        run(search)
    if not search.causes and search.parsed is not None and len(search.request.body) <= search.limits.pairs_body:
        _pairs(search, candidates)


def _time_causes(search: Search, now: float, tolerance: float | None) -> None:
    parsed = search.parsed
    if parsed is None or parsed.timestamp is None:
        return
    search.tried["time"] = 1
    search.tested += 1
    limit = search.scheme.tolerance if tolerance is None else tolerance
    age = now - parsed.timestamp
    if parsed.timestamp > 10 ** 11 and limit is not None and abs(now - parsed.timestamp / 1000) <= limit:
        search.found("time", ["time.milliseconds"], f"the signature is right, but the sender wrote its timestamp in "
                                                    f"milliseconds ({parsed.timestamp_text}): {search.scheme.name} "
                                                    f"expects seconds", None)
        return
    when = f"{age:.0f} s old" if age > 0 else f"{-age:.0f} s in the future"
    beyond = f", {abs(age) - limit:.0f} s beyond the {limit:g} s tolerance" if limit is not None else ""
    search.found("time", ["time.skew"], f"the signature is right, but the timestamp is {when}{beyond}: a replayed "
                                        f"or queued request, or a clock that is off by that much", None)


def _timestamp_causes(search: Search) -> None:
    parsed = search.parsed
    if parsed is None or not parsed.timestamp_text:
        return
    for cause, text, repaired in timestamp_repairs(search.request, parsed.timestamp_text):
        hit = search.check("time", repaired)
        if hit is not None:
            search.found("time", [cause], text, hit)


def _signature_causes(search: Search) -> None:
    for cause, text, repaired in header_repairs(search.scheme, search.request):
        hit = search.check("signature", repaired)
        if hit is None and search.scheme.name in ("github", "hmac", "modelriver", "shopify", "linear"):
            for algorithm in ALGORITHMS:  # a prefix or header repaired, and the algorithm still another
                hit = search.check("signature", repaired, algorithm=algorithm)
                if hit is not None:
                    text += f", and it is HMAC-{algorithm.upper()}"
                    break
        if hit is not None:
            search.found("signature", [cause], text, hit)
    if search.parsed is None:
        return
    for algorithm in ALGORITHMS:
        if algorithm == search.parsed.algorithm:
            continue
        hit = search.check("signature", algorithm=algorithm)
        if hit is not None:
            search.found("signature", ["sig.algorithm"], f"the sender signed with HMAC-{algorithm.upper()}, and "
                                                         f"{search.scheme.name} uses "
                                                         f"HMAC-{search.parsed.algorithm.upper()}", hit)


def _other_schemes(search: Search) -> None:
    from hookdeck_tui.signatures.registry import present

    for other in present(search.request):
        if other.name == search.scheme.name:
            continue
        parsed = parse(other, search.request)
        if parsed is None:
            continue
        search.tested += 1
        search.tried["scheme"] = search.tried.get("scheme", 0) + 1
        for index, secret in enumerate(search.secrets):
            try:
                if other.matches(parsed, search.request.body, secret, search.request.url):
                    search.found("scheme", ["scheme.other"], f"the request is validly signed as {other.name}, not "
                                                             f"{search.scheme.name}: set the scheme to "
                                                             f"`{other.name}`", index)
                    break
            except (SecretError, NeedsUrl, ValueError):
                continue


def _key_variants(search: Search, candidates: Sequence[tuple[str, str]]) -> Iterator[tuple[str, str, int, bytes,
                                                                                              str | None]]:
    """(cause id, text, secret index, key, candidate label) for every key the sender may have used instead."""
    seen = {key for _, key in search.keys}
    for index, secret in enumerate(search.secrets):
        for cause, text, key in secret_variants(search.scheme, secret):
            if key not in seen:
                seen.add(key)
                yield cause, text, index, key, None
    configured = set(search.secrets)
    for label, secret in candidates:
        if not secret or secret in configured:
            continue
        configured.add(secret)
        try:
            key = search.scheme.key(secret)
        except SecretError:
            continue
        if key not in seen:
            seen.add(key)
            yield "secret.other_candidate", f"the sender signed with {label}, not the configured secret (test and " \
                                            f"live mode, or a rotated secret?)", 0, key, label


def _secret_causes(search: Search, candidates: Sequence[tuple[str, str]]) -> None:
    for cause, text, index, key, label in _key_variants(search, candidates):
        hit = search.check("secret", keys=[(index, key)])
        if hit is not None:
            search.found("secret", [cause], text, hit, label)


def _bytes_causes(search: Search) -> None:
    request = search.request
    body = request.body
    evidence = truncation_evidence(body, request.header("Content-Length"))
    if evidence:
        search.tried["bytes"] = search.tried.get("bytes", 0) + 1
        search.found("bytes", ["bytes.truncated"], evidence, None)
    variants = list(transit_variants(body))
    if len(body) <= search.limits.full_body:
        variants += list(charset_variants(body))
        variants += list(compression_variants(body, request.header("Content-Encoding")))
    for cause, text, variant in variants:
        if search.fresh_body(variant):
            hit = search.check("bytes", body=variant)
            if hit is not None:
                search.found("bytes", [cause], text, hit)


def json_data(body: bytes) -> Any:
    if body.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        return loads_bounded(body)  # a body nested deeper than that is not re-encoded (see _skipped)
    except (ValueError, UnicodeDecodeError):
        return None


def _json_causes(search: Search) -> None:
    body = search.request.body
    if len(body) > search.limits.full_body:
        return
    data = json_data(body)
    if data is None:
        return
    for ids, layout, variant in json_variants(body, data):
        if not search.fresh_body(variant):
            continue
        hit = search.check("json", body=variant)
        if hit is not None:
            search.found("json", ids, f"the body was re-encoded between signing and here: the sender signed it as "
                                      f"JSON {layout} — verify the raw bytes received, never a parsed and re-encoded "
                                      f"copy", hit)
        if search.over():
            search.out_of_time.add("json")
            return


def _form_causes(search: Search) -> None:
    body = search.request.body
    if len(body) > search.limits.full_body:
        return
    pairs = form_pairs(body, search.request.header("Content-Type"))
    if pairs is None:
        return
    for cause, text, variant in form_variants(body, pairs):
        if search.fresh_body(variant):
            hit = search.check("form", body=variant)
            if hit is not None:
                search.found("form", [cause], text, hit)


def _url_causes(search: Search) -> None:
    if not search.scheme.needs_url:
        return
    for cause, text, repaired in url_repairs(search.request):
        hit = search.check("url", repaired)
        if hit is not None:
            search.found("url", cause.split("+"), text, hit)


def _pairs(search: Search, candidates: Sequence[tuple[str, str]]) -> None:
    """Two changes at once: a body change and a secret change (a newline in both the body and the secret file)."""
    bodies = list(transit_variants(search.request.body))
    data = json_data(search.request.body)
    if data is not None:
        bodies += [(ids[0], f"the sender signed the JSON {layout}", variant)
                   for ids, layout, variant in json_variants(search.request.body, data)]
    keys = list(_key_variants(search, candidates))
    seen: set[bytes] = set()
    for body_cause, body_text, body in bodies:
        if body in seen or body == search.request.body:
            continue
        seen.add(body)
        for key_cause, key_text, index, key, label in keys:
            hit = search.check("pairs", body=body, keys=[(index, key)])
            if hit is not None:
                search.found("pairs", [body_cause, key_cause], f"{body_text}, and {key_text}", hit, label)
            if search.over():
                return


def dedupe(causes: list[Cause]) -> list[Cause]:
    """One cause per set of changes, and none that only adds changes to a cause already enough on its own (the
    scheme's URL with the default port written out, once the scheme alone explains it)."""
    out: list[Cause] = []
    for cause in causes:
        if not any(set(kept.ids) <= set(cause.ids) for kept in out):
            out.append(cause)
    return out


def parse(scheme: Scheme, request: SignedRequest) -> Parsed | None:
    try:
        return scheme.parse(request)
    except (MissingSignature, MalformedSignature, ValueError):
        return None
