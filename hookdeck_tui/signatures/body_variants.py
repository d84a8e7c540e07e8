"""Bodies the sender may have signed instead of the bytes received: each undoes one change that happens between a
sender and a verifier (a newline, line endings, a BOM, a charset round trip, compression, a form re-encoded).
Each variant is yielded as (cause id, what happened, bytes); the caller recomputes the signature over it."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, quote, quote_plus

BOM = b"\xef\xbb\xbf"
Variant = tuple[str, str, bytes]


def transit_variants(body: bytes) -> Iterator[Variant]:
    """Cheap byte-level changes, the simplest explanation first (each costs one pass over the body)."""
    if body.endswith(b"\n"):
        yield ("bytes.trailing_newline", "a trailing newline was added after signing: the sender signed the body "
                                         "without it", body.rstrip(b"\r\n"))
        yield "bytes.trailing_newline", "a trailing newline was added after signing", body[:-1]
    else:
        for ending in (b"\n", b"\r\n"):
            yield ("bytes.trailing_newline", f"a trailing newline was lost after signing: the sender signed the body "
                                             f"ending in {ending!r}", body + ending)
    if b"\r\n" in body:
        yield ("bytes.line_endings", "line endings were converted to CRLF after signing: the sender signed `\\n` "
                                     "line endings", body.replace(b"\r\n", b"\n"))
    elif b"\n" in body:
        yield ("bytes.line_endings", "line endings were converted from CRLF to `\\n` after signing: the sender "
                                     "signed `\\r\\n` line endings", body.replace(b"\n", b"\r\n"))
    if body.startswith(BOM):
        yield ("bytes.bom", "a UTF-8 byte order mark (EF BB BF) was added in front of the body after signing",
               body[len(BOM):])
    else:
        yield "bytes.bom", "a UTF-8 byte order mark was removed from the front of the body after signing", BOM + body
    stripped = body.strip()
    if stripped != body and stripped:
        yield "bytes.whitespace", "whitespace was added around the body after signing", stripped


def charset_variants(body: bytes) -> Iterator[Variant]:
    """Text decoded with one charset and encoded with another somewhere between the sender and here."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not text.isascii():
        for charset in ("latin-1", "cp1252"):
            try:
                yield ("bytes.charset", f"the body went through a {charset} round trip: the signed bytes are its "
                                        f"{charset} encoding (or UTF-8 read as {charset} was re-encoded as UTF-8)",
                       text.encode(charset))
            except UnicodeEncodeError:
                pass
        yield ("bytes.charset", "non-ASCII characters became `?` in the signed copy: the sender encoded the text as "
                                "ASCII with replacements", text.encode("ascii", "replace"))
    if text is None:
        yield ("bytes.charset", "the body arrived in latin-1 and the sender signed its UTF-8 encoding",
               body.decode("latin-1").encode("utf-8"))


def compression_variants(body: bytes, content_encoding: str | None) -> Iterator[Variant]:
    """A body compressed or decompressed after signing. Only zlib's own output can be reproduced byte for byte."""
    if body[:2] == b"\x1f\x8b":
        inflated = gunzip_bounded(body, MAX_INFLATED)
        if inflated is not None:
            yield ("bytes.compression", "the body arrived gzip-compressed and the sender signed it uncompressed: "
                                        "verify after decompressing", inflated)
        return
    if len(body) > 256 * 1024:  # compressing costs far more than an HMAC: only for bodies of usual sizes
        return
    for level in (6, 9, 1):
        yield ("bytes.compression", f"the sender signed the gzip-compressed body (level {level}) and it was "
                                    f"decompressed on the way (Content-Encoding: {content_encoding or 'none now'})",
               gzip.compress(body, compresslevel=level, mtime=0))
    yield ("bytes.compression", "the sender signed the zlib-deflated body and it was inflated on the way",
           zlib.compress(body))


MAX_INFLATED = 10 * 1024 * 1024  # a gzip body larger than this unpacked is not tried (the listener's own body bound)


def gunzip_bounded(body: bytes, limit: int) -> bytes | None:
    """The gzip body unpacked, or None when it is not gzip or would unpack past `limit` bytes: a 1 MB body of
    zeros can unpack to 1 GB, and the diagnosis runs in the console's own process."""
    unpacker = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
    try:
        inflated = unpacker.decompress(body, limit + 1)
    except zlib.error:
        return None
    if len(inflated) > limit or not unpacker.eof:
        return None
    return inflated


def truncation_evidence(body: bytes, content_length: str | None) -> str | None:
    """Not a recomputation (cut bytes cannot be restored) but a fact: the body is shorter than announced, or JSON
    that ends in the middle of a value."""
    if content_length and content_length.strip().isdigit() and int(content_length) > len(body):
        return f"the body is {len(body)} bytes but Content-Length says {int(content_length)}: it was cut in transit"
    if body.lstrip()[:1] in (b"{", b"[") and _json_cut(body):
        return f"the body is JSON that ends in the middle of a value after {len(body)} bytes: it was cut in transit"
    return None


def _json_cut(body: bytes) -> bool:
    try:
        json.loads(body)
    except json.JSONDecodeError as exc:
        return exc.pos >= len(body.rstrip()) - 1
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return False


def form_pairs(body: bytes, content_type: str | None) -> list[tuple[str, str]] | None:
    """The parameters of an x-www-form-urlencoded body, or None when it is not one."""
    if content_type and "x-www-form-urlencoded" not in content_type.lower():
        return None
    if not body or body.lstrip()[:1] in (b"{", b"[", b"<") or b"=" not in body:
        return None
    try:
        return parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None


# (description, quoting function) of the form encoders senders use
_ENCODERS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("spaces as `%20` (JavaScript's encodeURIComponent, RFC 3986)", lambda text: quote(text, safe="!'()*~")),
    ("spaces as `%20`, every reserved character escaped", lambda text: quote(text, safe="~")),
    ("spaces as `+` (HTML forms, Python's urlencode)", lambda text: quote_plus(text, safe="")),
    ("spaces as `+` and `*` `~` left as they are", lambda text: quote_plus(text, safe="*~")),
    ("spaces as `+` and `~` escaped as `%7E` (PHP's urlencode)",
     lambda text: quote_plus(text, safe="").replace("~", "%7E")),
    ("spaces as `+` and `!'()*` left as they are", lambda text: quote_plus(text, safe="!'()*")),
)


def _encoding_cause(received: bytes, variant: bytes) -> str:
    """`form.space_encoding` when the two write spaces differently, else `form.reserved_chars`."""
    spaces = (b"+" in received) != (b"+" in variant) or (b"%20" in received) != (b"%20" in variant)
    return "form.space_encoding" if spaces else "form.reserved_chars"


def form_variants(body: bytes, pairs: list[tuple[str, str]]) -> Iterator[Variant]:
    """The same parameters encoded as other senders encode them, in their order, sorted, and without blanks."""
    orders = [("", pairs), ("form.order", sorted(pairs))]
    non_blank = [(k, v) for k, v in pairs if v != ""]
    if len(non_blank) != len(pairs):
        orders.append(("form.blank_dropped", non_blank))
    for order_id, ordered in orders:
        for description, encode in _ENCODERS:
            variant = "&".join(f"{encode(k)}={encode(v)}" for k, v in ordered).encode("ascii")
            what = description
            cause = _encoding_cause(body, variant)
            if order_id == "form.order":
                cause, what = "form.order", f"the parameters in sorted order, {description}"
            elif order_id == "form.blank_dropped":
                cause, what = "form.blank_dropped", f"without its blank parameters, {description}"
            yield cause, f"the form was re-encoded after signing: the sender signed it with {what}", variant
    lower = _lower_percent(body)
    if lower != body:
        yield "form.reserved_chars", "the form's %-escapes were upper-cased after signing (the sender wrote them " \
                                     "in lower case)", lower


def _lower_percent(body: bytes) -> bytes:
    out = bytearray(body)
    for index in range(len(out) - 2):
        if out[index] == ord("%"):
            out[index + 1:index + 3] = bytes(out[index + 1:index + 3]).lower()
    return bytes(out)
