"""Bounds on values taken from a request before they enter a record (an event's match, a run's input, a round
trip's check).

Why: a 2 KB JSON body nested 900 deep parses, but then every part of hooktui that walks it recursively — pickling
it for the writer process, encoding it for the store, rendering it — fails with RecursionError, and a bulk route
whose items each copy the whole body multiplies its size by the number of items. Such a body is still captured as
it came (bodies are stored as bytes); only the values read out of it are refused, with a message saying why.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # levels of nested objects/arrays a value read from a request may have
_CONTAINERS = (dict, list)


class TooDeep(ValueError):
    """A JSON document nested deeper than MAX_DEPTH (a ValueError, like any other JSON that cannot be used)."""

    def __init__(self) -> None:
        super().__init__(f"the body is nested deeper than {MAX_DEPTH} levels")


def loads_bounded(data: bytes | str) -> Any:
    """json.loads, refusing documents nested deeper than MAX_DEPTH. Cheap for the usual body: one with at most
    MAX_DEPTH brackets cannot be deeper than that, so only a body with more of them is walked."""
    try:
        value = json.loads(data)
    except RecursionError:  # json's own limit (~1,000 levels)
        raise TooDeep() from None
    if isinstance(value, _CONTAINERS):
        brackets = (data.count(b"[") + data.count(b"{") if isinstance(data, bytes)
                    else data.count("[") + data.count("{"))
        if brackets > MAX_DEPTH and deeper_than(value, MAX_DEPTH):
            raise TooDeep()
    return value


def deeper_than(value: Any, limit: int) -> bool:
    """Is `value` nested more than `limit` objects/arrays deep? (A loop, not recursion: any depth is safe.)"""
    stack = [(value, 1)] if isinstance(value, _CONTAINERS) else []
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        children = current.values() if isinstance(current, dict) else current
        stack.extend((child, depth + 1) for child in children if isinstance(child, _CONTAINERS))
    return False


def larger_than(value: Any, budget: int) -> bool:
    """Would `value` take more than about `budget` bytes as JSON? Stops as soon as it would, so a value that
    repeats one big part many times costs no more than `budget` to measure."""
    return approximate_size(value, budget) > budget


def approximate_size(value: Any, cap: int) -> int:
    """About the bytes `value` takes as JSON — or, once that is over `cap`, a number over `cap`."""
    stack = [value]
    size = 0
    while stack:
        current = stack.pop()
        if isinstance(current, (str, bytes)):
            size += len(current) + 2
        elif isinstance(current, dict):
            size += 2 + 2 * len(current)
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, (list, tuple)):
            size += 2 + len(current)
            stack.extend(current)
        else:
            size += 8
        if size > cap:
            break
    return size
