"""`--set path=value`: change one field of a forged body. Paths are dotted keys with `[index]` for lists
(`ai_response.data.title`, `commits[0].message`, `items[-1]`); missing objects and lists are created,
and the index one past a list's end appends. The value is read as
JSON when it parses (`42`, `true`, `null`, `{"a": 1}`, `"007"`), else taken as text, so `--set n=42` sets a number
and `--set id=007` stays the text it looks like."""

from __future__ import annotations

import json
import re
from typing import Any

_PART = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")


class OverrideError(ValueError):
    """A `--set` that cannot apply; the message names it."""


def parse_assignment(text: str) -> tuple[list[str | int], Any]:
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise OverrideError(f"--set {text!r}: expected path=value, e.g. --set ai_response.data.title='Hello'")
    return parse_path(path.strip(), text), parse_value(raw)


def parse_path(path: str, text: str | None = None) -> list[str | int]:
    parts: list[str | int] = []
    position = 0
    for match in _PART.finditer(path):
        between = path[position:match.start()]
        if between not in ("", "."):
            break
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    if position != len(path) or not parts:
        raise OverrideError(f"--set {text or path!r}: {path!r} is not a path like a.b[0].c")
    return parts


def parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def apply(body: Any, assignments: list[str]) -> Any:
    """`body` with every assignment applied, in order (later ones win)."""
    for text in assignments:
        path, value = parse_assignment(text)
        body = _set(body, path, value, text)
    return body


def _set(node: Any, path: list[str | int], value: Any, text: str) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        if node is None:
            node = []  # a missing list is created (then [0] appends)
        if not isinstance(node, list):
            raise OverrideError(f"--set {text!r}: [{head}] indexes a list, but there is {_kind(node)} there")
        if not -len(node) <= head < len(node):
            if head == len(node):  # one past the end appends
                node.append(_set(None, rest, value, text))
                return node
            raise OverrideError(f"--set {text!r}: index {head} is outside the list of {len(node)}")
        node[head] = _set(node[head], rest, value, text)
        return node
    if node is None:
        node = {}
    if not isinstance(node, dict):
        raise OverrideError(f"--set {text!r}: .{head} names a key, but there is {_kind(node)} there")
    node[head] = _set(node.get(head), rest, value, text)
    return node


def _kind(node: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "nothing"}.get(
        type(node), "a number")
