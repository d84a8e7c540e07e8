"""The listener flags that simulate the other side or route by event type: `--respond 500|hang|reset|app`,
`--delay 2s`, `--fail-rate 0.2`, `--forward-to 'checkout.*=URL'` (repeatable) and `--events a,b`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from hookdeck_tui.answer_settings import parse_delay, parse_rate
from hookdeck_tui.commands.arguments import http_url

if TYPE_CHECKING:  # the config models load pydantic: not at argument-parsing time
    from hookdeck_tui.config import Config
    from hookdeck_tui.config.models import ForwardTarget

RESPOND_WORDS = ("app", "hang", "reset")


def add_answer_options(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """`prefix`: see cli._apply_leading_options (the same options given before a command)."""
    parser.add_argument("--forward-to", dest=f"{prefix}forward_to", metavar="[TYPES=]URL", type=forward_rule,
                        action="append",
                        help="forward each accepted request to your app: exactly to URL when it has a path "
                             "(http://localhost:4000/api/webhook), else to the request's path on it; repeat with "
                             "`checkout.*,invoice.paid=URL` to send those event types elsewhere")
    parser.add_argument("--events", dest=f"{prefix}events", metavar="TYPES", type=event_list,
                        help="forward only events of these types (comma-separated, globs allowed); the others "
                             "are still captured")
    parser.add_argument("--respond", dest=f"{prefix}respond", metavar="ANSWER", type=respond_word,
                        help="`app`: the sender gets your app's answer (as `respond: app`); a status (500, 429, "
                             "410), `hang` (no answer until the sender gives up) or `reset` (connection cut)")
    parser.add_argument("--delay", dest=f"{prefix}delay", metavar="TIME", type=_checked(parse_delay),
                        help="answer after this long: 2s, 500ms, or a range 1s-3s")
    parser.add_argument("--fail-rate", dest=f"{prefix}fail_rate", metavar="RATE", type=_checked(parse_rate),
                        help="answer this share of requests with 500 (0.2 or 20%%)")


def forward_rule(text: str) -> str:
    """`URL` or `TYPES=URL` (TYPES: comma-separated event types or globs)."""
    left, sep, right = text.partition("=")
    if sep and left and ":" not in left and "/" not in left:
        types = event_list(left)
        return f"{','.join(types)}={http_url(right)}"
    return http_url(text)


def event_list(text: str) -> list[str]:
    types = [part.strip() for part in text.split(",") if part.strip()]
    if not types:
        raise argparse.ArgumentTypeError(f"`{text}` names no event type (e.g. `checkout.*,invoice.paid`)")
    return types


def respond_word(text: str) -> str | int:
    word = text.strip().lower()
    if word in RESPOND_WORDS:
        return word
    if word.isdigit() and 100 <= int(word) <= 599:
        return int(word)
    raise argparse.ArgumentTypeError(f"`{text}` is not an answer: a status 100-599, `hang`, `reset` or `app`")


def _checked(parse: Any) -> Any:
    def convert(text: str) -> str:
        try:
            parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text
    convert.__name__ = parse.__name__.removeprefix("parse_")
    return convert


def forward_targets(rules: list[str] | None) -> list[ForwardTarget]:
    """The `--forward-to` values as targets; a plain URL takes every event the typed ones do not."""
    from hookdeck_tui.config.models import ForwardTarget
    targets = []
    for rule in rules or ():
        left, sep, right = rule.partition("=")
        typed = sep and ":" not in left and "/" not in left
        targets.append(ForwardTarget(url=right, events=left.split(",")) if typed else ForwardTarget(url=rule))
    return targets


def apply_answer_flags(config: Config, args: argparse.Namespace) -> None:
    """`--respond`, `--delay` and `--fail-rate` on every route (over its configured answer)."""
    from hookdeck_tui.config.models import RespondConfig
    respond = getattr(args, "respond", None)
    delay, fail = getattr(args, "delay", None), getattr(args, "fail_rate", None)
    routes = [route for listener in config.listeners for route in listener.routes]
    if respond == "app":
        if delay is not None or fail is not None:
            raise ValueError("--delay and --fail-rate shape hooktui's own answer; with --respond app your app "
                             "answers")
        if not getattr(args, "forward_to", None) and not any(route.forward for route in routes):
            raise ValueError("--respond app answers with your app's answer: give --forward-to URL (or `forward:` "
                             "in the config)")
        for route in routes:
            route.respond = "app"
        return
    changes: dict[str, Any] = {}
    if respond is not None:
        changes["status"] = respond
    if delay is not None:
        changes["delay"] = delay
    if fail is not None:
        changes["fail"] = fail
    if not changes:
        return
    for route in routes:
        base = route.respond if isinstance(route.respond, RespondConfig) else RespondConfig()
        route.respond = RespondConfig.model_validate({**base.model_dump(exclude_unset=True), **changes})
        route.respond._compiled = base._compiled
