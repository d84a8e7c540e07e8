"""The options of `hooktui send` that deliver like a provider (--retries, --duplicate, --sequence, --time-scale):
argparse only, so building the command line imports nothing heavy."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from hookdeck_tui.forge.schedules import parse_time_scale


def _number(text: str, kind: Callable[[str], float], low: float, high: float, what: str) -> float:
    """`text` as `kind` within [low, high]; argparse's one-line usage error otherwise."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not {what}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{value}: give {what} from {low:g} to {high:g}")
    return value


def retries(text: str) -> str | int:
    """`provider` (the template's provider schedule) or a number of retries."""
    return text if text == "provider" else int(_number(text, int, 0, 50, "`provider` or a number of retries"))


def time_scale(text: str) -> float:
    try:
        return parse_time_scale(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def copies(text: str) -> int:
    return int(_number(text, int, 1, 100, "a number of copies"))


def add_delivery_options(send: argparse.ArgumentParser) -> None:
    group = send.add_argument_group("deliver like a provider")
    rehearsal = group.add_mutually_exclusive_group()
    rehearsal.add_argument("--retries", type=retries, metavar="provider|N",
                           help="re-deliver on a non-2xx answer or no answer: `provider` follows the template's "
                                "provider schedule and headers (stripe, github, standard-webhooks, shopify, slack, "
                                "modelriver); N: N retries doubling from 1 s")
    rehearsal.add_argument("--duplicate", type=copies, metavar="N", help="send the very same delivery N more times")
    rehearsal.add_argument("--sequence", metavar="FILE",
                           help="send the events a YAML/JSON list describes, in its order: {template, set, delay}")
    group.add_argument("--time-scale", type=time_scale, default=1.0, metavar="FACTOR",
                       help="multiply every wait of --retries/--sequence (0.01: a 5-minute wait takes 3 s)")
