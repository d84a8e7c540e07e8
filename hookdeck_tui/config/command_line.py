"""A shell job's command line split into argv *before* anything is rendered into it: each word becomes its own
template, so a value from a request (`${input.name}` = "x /etc/passwd") is always exactly one argument."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from hookdeck_tui.expressions import expression_spans

_MARK = "\x00"  # stands in for an expression while splitting: never in a command line (argv cannot hold NUL)


def split_command(text: str) -> list[str]:
    """Shell-style words (quotes group, backslashes escape; no shell runs), each still holding its `${...}`
    expressions verbatim. Raises ExpressionError for a malformed expression and ValueError for bad quoting."""
    if _MARK in text:
        raise ValueError("a command line cannot contain a NUL character")
    spans = expression_spans(text)
    masked, pos = [], 0
    for index, (start, end, _node) in enumerate(spans):
        masked.append(text[pos:start] + f"{_MARK}{index}{_MARK}")
        pos = end
    masked.append(text[pos:])
    words = shlex.split("".join(masked))
    return [_unmask(word, text, spans) for word in words]


def _unmask(word: str, text: str, spans: Sequence[tuple[int, int, object]]) -> str:
    pieces = word.split(_MARK)
    # odd pieces are expression indexes; even ones literal text, where a `${` that quoting joined stays literal
    return "".join(text[spans[int(piece)][0]:spans[int(piece)][1]] if i % 2
                   else piece.replace("$${", "${").replace("${", "$${") for i, piece in enumerate(pieces))
