"""`when:` conditions: `${...}` compared with `==` or `!=` to a quoted text, a number or another `${...}`, or a lone
`${...}` that must be truthy. The expression language itself has no comparisons; a condition is a thin layer on
top, parsed when the config loads (so a mistake is reported with its place) and evaluated per request."""

from __future__ import annotations

import json
from typing import Any

from hookdeck_tui.expressions import ExpressionError, Scope, Template, expression_spans
from hookdeck_tui.source_location import SourceLocation

_OPERATORS = ("==", "!=")


class Condition:
    __slots__ = ("left", "operator", "right", "text")

    def __init__(self, text: str, location: SourceLocation | None = None) -> None:
        self.text = text
        left, operator, right = _split(text)
        self.operator = operator
        self.left = _side(left, text, location)
        self.right = _side(right, text, location) if operator else None

    def templates(self) -> list[Template]:
        return [side for side in (self.left, self.right) if isinstance(side, Template)]

    def holds(self, scope: Scope) -> bool:
        """Whether the request satisfies it; a value that cannot be read (no such key, body not JSON) is null."""
        left = _value(self.left, scope)
        if self.operator is None:
            return left not in (None, False, "", 0, [], {})
        equal = left == _value(self.right, scope)
        return equal if self.operator == "==" else not equal


def _split(text: str) -> tuple[str, str | None, str]:
    """Find the operator outside `${...}` and quotes."""
    inside = [(start, end) for start, end, _ in expression_spans(text)]
    quote = None
    index = 0
    while index < len(text):
        char = text[index]
        if any(start <= index < end for start, end in inside):
            index += 1
            continue
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif text[index:index + 2] in _OPERATORS:
            return text[:index].strip(), text[index:index + 2], text[index + 2:].strip()
        index += 1
    return text.strip(), None, ""


def _side(part: str, whole: str, location: SourceLocation | None) -> Any:
    if not part:
        raise ExpressionError("a condition needs a value on each side of its operator", whole, location)
    if part.startswith("${"):
        template = Template(part, location)
        if len(expression_spans(part)) != 1 or expression_spans(part)[0][1] != len(part):
            raise ExpressionError("each side of a condition is one `${...}`, a quoted text or a number", whole,
                                  location)
        return template
    if part[0] in "\"'" and len(part) >= 2 and part[-1] == part[0]:
        return part[1:-1]
    try:
        return json.loads(part)  # a number, true, false, null
    except ValueError:
        raise ExpressionError(f"`{part}` is not a `${{...}}`, a quoted text or a number (quote texts: "
                              f"`\"{part}\"`)", whole, location) from None


def _value(side: Any, scope: Scope) -> Any:
    if not isinstance(side, Template):
        return side
    try:
        return side.render(scope)
    except ExpressionError:
        return None
