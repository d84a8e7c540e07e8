"""Requests the sender may have signed instead of the one received, when what changed is not the body: the signature
header mangled by a proxy (quotes, whitespace, case, several values joined with commas), written without its prefix
or in the other encoding, put in another header, a timestamp rewritten in milliseconds, or the URL the provider
called (scheme, port, host, trailing slash, query). Each is (cause id, what happened, repaired request); a URL
repair that changed several parts names each (`url.scheme+url.port`)."""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from hookdeck_tui.signatures.base import Scheme
from hookdeck_tui.signatures.request import SignedRequest

Repair = tuple[str, str, SignedRequest]
# what precedes the signature in each scheme's header, and how it is written
_FORMS = {"github": ("sha256=", "hex"), "slack": ("v0=", "hex"), "twitch": ("sha256=", "hex"),
          "standard-webhooks": ("v1,", "base64"), "shopify": ("", "base64"), "twilio": ("", "base64"),
          "square": ("", "base64"), "modelriver": ("", "hex"), "linear": ("", "hex"), "discord": ("", "hex")}
_TOKEN = re.compile(r"^(?:[A-Za-z0-9]+[=,])?([A-Za-z0-9+/_=-]{20,})$")


def signature_header(scheme: Scheme, request: SignedRequest) -> str:
    """The header this scheme reads its signature from (the one present, when it reads either of two)."""
    return next((name for name in scheme.headers if request.has_header(name)), scheme.headers[0])


def header_form(scheme: Scheme) -> tuple[str, str] | None:
    if scheme.name == "hmac":
        return getattr(scheme, "prefix", ""), scheme.encoding
    return _FORMS.get(scheme.name)


def header_repairs(scheme: Scheme, request: SignedRequest) -> Iterator[Repair]:
    name = signature_header(scheme, request)
    values = [value for key, value in request.headers if key.lower() == name.lower()]
    form = header_form(scheme)
    if len(values) > 1:
        for value in values[1:]:
            yield "header.joined", f"the request carries {len(values)} {name} headers; the sender's is a later " \
                                   f"one", _with(request, name, value)
    if not values:
        yield from _wrong_header(scheme, request, name, form)
        return
    raw = values[0]
    unquoted = raw.strip().strip("\"'")
    if unquoted != raw.strip():
        yield "header.quoted", f"{name} arrived in quotes (a proxy or a client quoted it)", _with(request, name,
                                                                                              unquoted)
    parts = [part.strip().strip("\"'") for part in re.split(r",\s+|,(?=[a-z0-9]+[=,])", unquoted)]
    if scheme.name == "stripe":
        groups = re.split(r",\s*(?=t=)", unquoted)
        parts = groups if len(groups) > 1 else []
    if len(parts) > 1 and scheme.name not in ("standard-webhooks",):
        for part in parts:
            yield ("header.joined", f"{name} holds several values joined with commas (a proxy merged repeated "
                                    f"headers); the sender's is `{_clip(part)}`", _with(request, name, part))
    if scheme.name == "standard-webhooks" and "," in unquoted:
        cleaned = " ".join(piece.strip(",") for piece in re.split(r"[\s,]+(?=v\d+,)", unquoted))
        if cleaned != unquoted:
            yield "header.joined", f"{name}'s signatures were joined with commas (a proxy merged repeated " \
                                   f"headers)", _with(request, name, cleaned)
    squeezed = re.sub(r"\s+", "", unquoted) if scheme.name != "standard-webhooks" else " ".join(unquoted.split())
    if squeezed != unquoted:
        yield "header.whitespace", f"{name} has whitespace inside it (folded or padded by a proxy)", \
            _with(request, name, squeezed)
    if form is None:
        return
    prefix, encoding = form
    if prefix and unquoted[:len(prefix)].lower() == prefix.lower() and not unquoted.startswith(prefix):
        yield "header.case", f"{name}'s `{prefix}` prefix arrived in another case", \
            _with(request, name, prefix + unquoted[len(prefix):])
    if encoding == "hex" and unquoted != unquoted.lower():
        yield "header.case", f"{name} arrived in upper case", _with(request, name, unquoted.lower())
    body = unquoted[len(prefix):] if prefix and unquoted.lower().startswith(prefix.lower()) else unquoted
    if prefix and not unquoted.lower().startswith(prefix.lower()):
        yield "sig.missing_prefix", f"{name} lacks its `{prefix}` prefix: the sender wrote the bare signature", \
            _with(request, name, prefix + unquoted)
    other = _reencode(body, encoding)
    if other is not None:
        yield "sig.encoding", f"{name} is written in {'base64' if encoding == 'hex' else 'hex'}, and {scheme.name} " \
                              f"writes {encoding}", _with(request, name, prefix + other)


def _wrong_header(scheme: Scheme, request: SignedRequest, name: str, form: tuple[str, str] | None) -> Iterator[Repair]:
    """No signature where the scheme reads it: is one in another header?"""
    prefix, encoding = form or ("", "hex")
    mine = {header.lower() for header in scheme.headers}
    for key, value in request.headers:
        if key.lower() in mine or key.lower() in ("content-type", "content-length", "user-agent", "host"):
            continue
        match = _TOKEN.match(value.strip())
        if not match:
            continue
        token = match.group(1)
        candidates = [token] + ([_reencode(token, encoding)] if _reencode(token, encoding) else [])
        for candidate in candidates:
            yield "sig.wrong_header", f"the signature is in the {key} header, not {name}", \
                _with(request, name, prefix + candidate)


def timestamp_repairs(request: SignedRequest, stamp_text: str) -> Iterator[Repair]:
    """A timestamp rewritten in milliseconds (or seconds) after signing."""
    if not stamp_text.isdigit():
        return
    value = int(stamp_text)
    other = str(value // 1000) if value > 10 ** 11 else str(value * 1000)
    unit = "milliseconds" if value > 10 ** 11 else "seconds"
    headers = [(key, _replace_number(value_, stamp_text, other)) for key, value_ in request.headers]
    if headers != request.headers:
        yield "time.milliseconds", f"the timestamp arrived in {unit}; the sender signed it in " \
                                   f"{'seconds' if unit == 'milliseconds' else 'milliseconds'}", \
            SignedRequest(request.body, headers, request.url)


def url_repairs(request: SignedRequest) -> Iterator[Repair]:
    """The URLs the provider may have called: the scheme, port, host, trailing slash and query, alone or together
    (a tunnel ends TLS and adds a port), fewest changes first."""
    url = request.url
    if not url:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    schemes = [parts.scheme] + [s for s in ("https", "http") if s != parts.scheme]
    forwarded = [request.header(name) for name in ("X-Forwarded-Host", "X-Original-Host", "Host")]
    hosts = [parts.netloc] + list(dict.fromkeys(h.strip() for h in forwarded if h and h.strip() != parts.netloc))
    if parts.port is not None:
        hosts.append(host)
    port = (request.header("X-Forwarded-Port") or "").strip()
    if port.isdigit():
        hosts.append(f"{host}:{port}")
    proto = (request.header("X-Forwarded-Proto") or "").strip().lower()
    if proto in ("http", "https") and proto != parts.scheme:
        schemes = [parts.scheme, proto] + [s for s in ("https", "http") if s not in (parts.scheme, proto)]
    paths = [parts.path, parts.path[:-1] if parts.path.endswith("/") else parts.path + "/"]
    queries = [parts.query]
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        queries += [urlencode(sorted(pairs)), urlencode(pairs, quote_via=quote), urlencode(pairs)]
    combos = []
    for index, (scheme, netloc, path, query) in enumerate(itertools.product(schemes, hosts, paths, queries)):
        ids = []
        if scheme != parts.scheme:
            ids.append("url.scheme")
        if netloc != parts.netloc:
            ids.append("url.port" if netloc.rsplit(":", 1)[0] in (host, parts.netloc) else "url.host")
        if path != parts.path:
            ids.append("url.trailing_slash")
        if query != parts.query:
            ids.append("url.query")
        if ids:
            combos.append((len(ids), index, ids, urlunsplit((scheme, netloc, path, query, parts.fragment))))
        for default, port_scheme in ((443, "https"), (80, "http")):
            if scheme == port_scheme and ":" not in netloc and netloc == parts.netloc:
                with_port = urlunsplit((scheme, f"{netloc}:{default}", path, query, parts.fragment))
                combos.append((len(ids) + 1, index, ids + ["url.port"], with_port))
    seen = {url}
    for _, _, ids, candidate in sorted(combos):
        if candidate in seen:
            continue
        seen.add(candidate)
        yield "+".join(ids), f"the provider signed the URL `{candidate}`, not `{url}`: a proxy or tunnel changed the " \
                      f"{_what(ids)} — set the public URL the provider calls", \
            SignedRequest(request.body, request.headers, candidate)


def _what(ids: list[str]) -> str:
    names = {"url.scheme": "scheme", "url.port": "port", "url.host": "host", "url.trailing_slash": "trailing slash",
             "url.query": "query"}
    return ", ".join(names[i] for i in ids)


def _replace_number(value: str, old: str, new: str) -> str:
    return re.sub(rf"(?<![0-9]){re.escape(old)}(?![0-9])", new, value)


def _reencode(text: str, encoding: str) -> str | None:
    """`text` (a signature in the other encoding) rewritten in `encoding`, when it reads as that other encoding."""
    try:
        if encoding == "hex":
            if re.fullmatch(r"[0-9a-fA-F]+", text) or len(text) < 20:
                return None
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True).hex()
        if not re.fullmatch(r"[0-9a-fA-F]{40,}", text) or len(text) % 2:
            return None
        return base64.b64encode(bytes.fromhex(text)).decode()
    except (ValueError, binascii.Error):
        return None


def _with(request: SignedRequest, name: str, value: str) -> SignedRequest:
    headers = [(key, v) for key, v in request.headers if key.lower() != name.lower()] + [(name, value)]
    return SignedRequest(request.body, headers, request.url)


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
