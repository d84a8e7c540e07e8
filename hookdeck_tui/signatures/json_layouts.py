"""The same JSON written the way other runtimes write it. A signature made over one runtime's bytes fails on another
runtime's re-encoding of the same data; re-encoding the received JSON in each layout and recomputing the signature
tells which layout was signed.

The layouts are the ones webhook senders and receivers really produce: compact (JavaScript, Go, PHP), `, `/`: `
(Python's default), pretty-printed with 2 or 4 spaces; keys sorted (Go maps, `sort_keys`); `/` written `\\/` (PHP);
`<`, `>`, `&` written `\\u003c` `\\u003e` `\\u0026` (Go's and Rails' HTML-safe escaping); non-ASCII escaped or
not; numbers as JavaScript prints them (integers above 2^53 rounded, `1.0` written `1`).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

# (indent, separators) of each spacing a sender can write its JSON with
SEPARATORS: dict[str, tuple[int | None, tuple[str, str]]] = {
    "compact": (None, (",", ":")), "spaced": (None, (", ", ": ")), "indent2": (2, (",", ": ")),
    "indent4": (4, (",", ": ")),
}
_HTML = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))
_JS_SAFE = 2 ** 53
_NON_ASCII_ESCAPE = re.compile(rb"\\u(?:00[89a-fA-F]|0[1-9a-fA-F]|[1-9a-fA-F])")


@dataclass(frozen=True)
class Layout:
    """One way of writing JSON: its spacing (a key of SEPARATORS) and each escaping a runtime does or not.
    `sorted` is None for the received body (whether its keys are sorted is not read from it)."""

    separators: str
    sorted: bool | None
    ascii: bool
    slash: bool
    html: bool
    js: bool


# what a layout is compared on with the received body's (sorted keys always count as a difference)
_COMPARED = tuple(field.name for field in fields(Layout) if field.name != "sorted")


def received_layout(body: bytes) -> Layout:
    """How the received body itself is written, so that a matching layout is named by what differs from it."""
    head = body[:4096]
    if b"\n  " in head or b"\n\t" in head:
        separators = "indent4" if b"\n    " in head and b"\n  \"" not in head else "indent2"
    elif b'": ' in head or b'", "' in head:
        separators = "spaced"
    else:
        separators = "compact"
    return Layout(separators=separators, sorted=None, ascii=_NON_ASCII_ESCAPE.search(body) is not None,
                  slash=b"\\/" in body, html=any(escaped in body for _, escaped in _HTML), js=False)


def json_variants(body: bytes, data: Any) -> Iterator[tuple[tuple[str, ...], str, bytes]]:
    """(cause ids, description, bytes) for each layout of `data` that differs from `body`, fewest differences first."""
    mine = received_layout(body)
    js_data = _js_numbers(data)
    numbers = [False] + ([True] if js_data is not None else [])
    combos: list[tuple[int, Layout]] = []
    for spacing, sort, ascii_, slash, html, js in itertools.product(SEPARATORS, (False, True), (False, True),
                                                                    (False, True), (False, True), numbers):
        layout = Layout(separators=spacing, sorted=sort, ascii=ascii_, slash=slash, html=html, js=js)
        differences = [name for name in _COMPARED if getattr(layout, name) != getattr(mine, name)] + (
            ["sorted"] if sort else [])
        combos.append((len(differences), layout))
    combos.sort(key=lambda item: item[0])
    encoded: dict[tuple[str, bool, bool, bool], bytes] = {}
    for _, layout in combos:
        base_key = (layout.separators, bool(layout.sorted), layout.ascii, layout.js)
        if base_key not in encoded:
            indent, separators = SEPARATORS[layout.separators]
            encoded[base_key] = json.dumps(js_data if layout.js else data, indent=indent, separators=separators,
                                           sort_keys=bool(layout.sorted), ensure_ascii=layout.ascii).encode("utf-8")
        variant = encoded[base_key]
        if layout.slash:
            if b"/" not in variant:
                continue
            variant = variant.replace(b"/", b"\\/")
        if layout.html:
            if not any(plain in variant for plain, _ in _HTML):
                continue
            for plain, escaped in _HTML:
                variant = variant.replace(plain, escaped)
        ids = _ids(layout, mine, data)
        if ids:
            yield ids, _describe(layout, ids), variant


def _ids(layout: Layout, mine: Layout, data: Any) -> tuple[str, ...]:
    ids = []
    if layout.sorted:
        ids.append("json.sorted_keys")
    if layout.separators != mine.separators:
        ids.append("json.whitespace")
    if layout.ascii != mine.ascii:
        ids.append("json.non_ascii")
    if layout.slash != mine.slash:
        ids.append("json.slash_escaped")
    if layout.html != mine.html:
        ids.append("json.html_escaped")
    if layout.js:
        ids.append("json.big_integers" if _has_big_integer(data) else "json.floats")
    return tuple(ids)


def _describe(layout: Layout, ids: tuple[str, ...]) -> str:
    """The layout's spacing, and what else in it differs from the received body."""
    parts = {"compact": "compact", "spaced": "with `, ` and `: ` separators (Python's default)",
             "indent2": "pretty-printed with 2 spaces", "indent4": "pretty-printed with 4 spaces"}
    words = [parts[layout.separators]]
    if layout.sorted:
        words.append("keys sorted (a Go map, `sort_keys`)")
    if "json.non_ascii" in ids:
        words.append("non-ASCII escaped as \\uXXXX" if layout.ascii else "non-ASCII written as UTF-8")
    if "json.slash_escaped" in ids:
        words.append("`/` escaped as `\\/` (PHP's json_encode)" if layout.slash else "`/` not escaped")
    if "json.html_escaped" in ids:
        words.append("`<` `>` `&` escaped as \\u003c \\u003e \\u0026 (Go's and Rails' HTML-safe escaping)"
                     if layout.html else "`<` `>` `&` not escaped")
    if layout.js:
        words.append("numbers as JavaScript writes them (integers above 2^53 rounded, 1.0 as 1)")
    return ", ".join(words)


def _js_numbers(data: Any) -> Any | None:
    """`data` with its numbers as a JavaScript runtime re-encodes them, or None when that changes nothing."""
    changed = False

    def walk(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and abs(value) > _JS_SAFE:
            rounded = int(Decimal(repr(float(value))))  # the digits JavaScript prints for the nearest double
            changed = changed or rounded != value
            return rounded
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
            changed = True
            return int(value)
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    result = walk(data)
    return result if changed else None


def _has_big_integer(data: Any) -> bool:
    if isinstance(data, bool):
        return False
    if isinstance(data, int):
        return abs(data) > _JS_SAFE
    if isinstance(data, dict):
        return any(_has_big_integer(item) for item in data.values())
    if isinstance(data, list):
        return any(_has_big_integer(item) for item in data)
    return False


def looks_js_rounded(data: Any) -> bool:
    """Integers above 2^53 written exactly as JavaScript writes the nearest double: the original digits may be lost,
    which no recomputation can recover (said in the diagnosis, never claimed as the cause)."""
    if isinstance(data, bool):
        return False
    if isinstance(data, int):
        return abs(data) > _JS_SAFE and int(Decimal(repr(float(data)))) == data and data % 100 == 0
    if isinstance(data, dict):
        return any(looks_js_rounded(item) for item in data.values())
    if isinstance(data, list):
        return any(looks_js_rounded(item) for item in data)
    return False
