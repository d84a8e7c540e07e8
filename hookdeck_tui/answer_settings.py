"""The small value syntaxes of a simulated answer, shared by the config (`respond:`) and the CLI flags: a delay
(`2s`, `500ms`, `1.5`, a range `1s-3s`) and a failure rate (`20%`, `0.2`). Each parser raises ValueError with a
message that shows an example, so the config loader and argparse report it as it is. And how a stored simulated
answer reads (`hooktui show`, the console's detail)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MAX_DELAY = 600.0  # seconds: a simulated answer never holds a request longer than this
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}


def parse_duration(text: str | float | int) -> float:
    """Seconds from `2s`, `500ms`, `1m` or a bare number of seconds."""
    if isinstance(text, bool):
        raise ValueError(f"`{text}` is not a duration (e.g. `2s`, `500ms`)")
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        match = _DURATION.match(str(text))
        if match is None:
            raise ValueError(f"`{text}` is not a duration (e.g. `2s`, `500ms`, `1s-3s`)")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not 0 <= seconds <= MAX_DELAY:
        raise ValueError(f"`{text}` is out of range: a delay is between 0 and {MAX_DELAY:g} s")
    return seconds


def parse_delay(text: str | float | int) -> tuple[float, float]:
    """(low, high) seconds: one duration gives low == high; `1s-3s` a range picked from uniformly."""
    if isinstance(text, str) and "-" in text.strip():
        low_text, _, high_text = text.strip().partition("-")
        low, high = parse_duration(low_text), parse_duration(high_text)
        if low > high:
            raise ValueError(f"`{text}`: the range's first end must be the smaller (e.g. `1s-3s`)")
        return low, high
    seconds = parse_duration(text)
    return seconds, seconds


def parse_rate(text: str | float | int) -> float:
    """A fraction in [0, 1] from `20%` or `0.2`."""
    if isinstance(text, bool):
        raise ValueError(f"`{text}` is not a rate (e.g. `20%` or `0.2`)")
    try:
        if isinstance(text, str) and text.strip().endswith("%"):
            rate = float(text.strip()[:-1]) / 100
        else:
            rate = float(text)
    except ValueError:
        raise ValueError(f"`{text}` is not a rate (e.g. `20%` or `0.2`)") from None
    if not 0 <= rate <= 1:
        raise ValueError(f"`{text}` is out of range: a rate is between 0% and 100% (0 and 1)")
    return rate


def describe_simulated(meta: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(label, text) lines for an event's simulated answer and a forward left out by `--events`."""
    meta = meta or {}
    lines = []
    why = meta.get("simulated")
    if isinstance(why, dict):
        answered = f"answered {why['status']}" if why.get("status") is not None else \
            f"{why.get('answer')}: {why.get('reason')}"
        mode = why.get("mode")
        if mode == "sequence":
            reason = f"sequence step {why.get('step')} of {why.get('of')}, per {why.get('per')}" + \
                (f" {why['delivery']}" if why.get("delivery") else "")
        elif mode == "fail-rate":
            reason = f"fail rate {why.get('rate', 0):.0%}: {'failed' if why.get('failed') else 'passed'}"
        else:
            reason = "as configured"
        extras = []
        if why.get("delay_s"):
            extras.append(f"after {why['delay_s']:g} s")
        if why.get("retry_after") is not None:
            extras.append(f"Retry-After {why['retry_after']}")
        if why.get("hold_s") is not None:
            extras.append(f"held at most {why['hold_s']:g} s")
        if why.get("template_error"):
            extras.append(f"template failed: {why['template_error']}")
        lines.append(("simulated", f"{answered} ({reason}{''.join('; ' + e for e in extras)})"))
    if meta.get("not_forwarded"):
        lines.append(("forward", f"not forwarded: {meta['not_forwarded']}"))
    return lines
