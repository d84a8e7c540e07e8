"""`hooktui send --retries / --duplicate / --sequence`: deliver as a provider would when things go wrong — its
retry schedule with its headers, the same delivery twice, events late and out of order — to rehearse an app's
retry, idempotency and ordering handling."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookdeck_tui.commands.common import preview
from hookdeck_tui.forge.build import Forged, ForgeSpec, forge
from hookdeck_tui.forge.redelivery import Attempt
from hookdeck_tui.forge.schedules import RetrySchedule, plain_schedule, schedule_for
from hookdeck_tui.forge.templates import get_template

if TYPE_CHECKING:
    from hookdeck_tui.console import Console


def rehearsing(args: argparse.Namespace) -> bool:
    return args.retries is not None or args.duplicate is not None or args.sequence is not None


def usage_problem(args: argparse.Namespace) -> str | None:
    """A combination these options cannot honour, said before anything is sent."""
    if not rehearsing(args):
        return "--time-scale scales the waits of --retries and --sequence; add one" if args.time_scale != 1.0 \
            else None
    flag = "--retries" if args.retries is not None else "--duplicate" if args.duplicate is not None else "--sequence"
    if args.wait:
        return f"--wait follows one delivery; leave out {flag}"
    if args.bad_signature or args.tamper_body or args.stale:
        return f"{flag} re-delivers a good event; a broken variant is sent once"
    if args.sequence is not None and (args.data or args.set):
        return "--sequence takes each event's template and `set` from its file; leave out --data/--set"
    return None


def schedule_of(args: argparse.Namespace, forged: Forged) -> RetrySchedule:
    return schedule_for(forged.scheme) if args.retries == "provider" else plain_schedule(args.retries)


async def deliver_rehearsal(args: argparse.Namespace, spec: ForgeSpec, forged: Forged, console: Console) -> int:
    human = not args.json
    report: dict[str, Any] = {"request": {"url": forged.request.url, "template": forged.template,
                                          "scheme": forged.scheme}}

    if human:
        signed = f"signed {forged.scheme}" if forged.scheme else "unsigned"
        print(f"→ {forged.request.method} {forged.request.url}  ({forged.template}, {signed})")

    def show(attempt: Attempt) -> None:
        if human:
            print(describe(attempt), flush=True)

    if args.duplicate is not None:
        attempts = await console.redeliver(forged, duplicates=args.duplicate, options=spec.options,
                                           timeout=args.request_timeout, on_attempt=show)
        ok = all(a.delivered for a in attempts)
    else:
        schedule = schedule_of(args, forged)
        report["schedule"] = {"provider": schedule.provider, "delays": list(schedule.delays),
                              "scaled": schedule.scaled(args.time_scale), "documented": schedule.documented,
                              "source": schedule.source, "note": schedule.note}
        if human:
            print(f"retries as {schedule.provider}: {schedule.note}")
        attempts = await console.redeliver(forged, schedule=schedule, time_scale=args.time_scale,
                                           options=spec.options, timeout=args.request_timeout, on_attempt=show)
        ok = attempts[-1].delivered
        if human and not ok:
            stopped = " (the app asked to stop retrying)" if schedule.stops(attempts[-1].result.headers) else ""
            print(f"✗ not delivered after {len(attempts)} attempt{'s' if len(attempts) > 1 else ''}{stopped}")
    report["attempts"] = [_attempt_json(a) for a in attempts]
    if not human:
        print(json.dumps(report, default=str))
    return 0 if ok else 1


def describe(attempt: Attempt) -> str:
    result = attempt.result
    answer = f"{result.status} {preview(result.body)}" if result.status is not None else f"no answer: {result.error}"
    wait = f" after {attempt.delay:g} s" if attempt.delay else ""
    if attempt.waited != attempt.delay:
        wait += f" ({attempt.waited:g} s at this --time-scale)"
    return f"attempt {attempt.number}{wait} → event #{attempt.event.id}  ← {answer}"


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {"number": attempt.number, "delay": attempt.delay, "waited": attempt.waited, "event": attempt.event.id,
            "status": attempt.result.status, "error": attempt.result.error}


# --- --sequence ---------------------------------------------------------------------------------------------

@dataclass
class Step:
    template: str
    sets: list[str]
    delay: float


class SequenceError(ValueError):
    """A sequence file that cannot be followed; the message names the entry."""


def read_sequence(path: str, default_template: str) -> list[Step]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SequenceError(f"--sequence {path}: {exc.strerror or exc}") from exc
    from hookdeck_tui.config.yaml_source import load_yaml

    source = load_yaml(text, path)  # JSON is YAML; bounded like a config (no alias bombs)
    if source.problems:
        raise SequenceError(f"--sequence {source.problems[0]}")
    entries = source.data
    if not isinstance(entries, list) or not entries:
        raise SequenceError(f"--sequence {path}: a list of events (`- template: ...`) is expected")
    steps = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or set(entry) - {"template", "set", "delay"}:
            raise SequenceError(f"--sequence {path}: entry {number} has keys template, set, delay only")
        sets = entry.get("set") or {}
        if isinstance(sets, dict):
            sets = [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in sets.items()]
        elif not isinstance(sets, list) or not all(isinstance(s, str) for s in sets):
            raise SequenceError(f"--sequence {path}: entry {number}: `set` is a mapping (path: value)")
        delay = entry.get("delay", 0)
        if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
            raise SequenceError(f"--sequence {path}: entry {number}: `delay` is seconds, 0 or more")
        name = str(entry.get("template") or default_template)
        get_template(name)  # an unknown one is said now, before anything is sent
        steps.append(Step(name, list(sets), float(delay)))
    return steps


def forge_sequence(steps: list[Step], base: ForgeSpec) -> list[Forged]:
    """Every step forged before the first is sent: a mistake in step 3 sends nothing."""
    return [forge(ForgeSpec(get_template(step.template), base.url, sets=step.sets, scheme=base.scheme,
                            secret=base.secret, options=base.options, headers=base.headers,
                            callback_base=base.callback_base)) for step in steps]


async def deliver_sequence(args: argparse.Namespace, base: ForgeSpec, steps: list[Step], forged: list[Forged],
                           console: Console, sleep: Any = asyncio.sleep) -> int:
    human = not args.json
    sent = []
    for number, (step, item) in enumerate(zip(steps, forged, strict=False), start=1):
        if step.delay:
            await sleep(step.delay * args.time_scale)
        event, result = await console.send(item, options=base.options, timeout=args.request_timeout,
                                           meta={"sequence": {"number": number, "of": len(steps), "delay": step.delay}},
                                           round_trip=False)
        attempt = Attempt(number, step.delay * args.time_scale, event, result, step.delay)
        sent.append({"template": item.template, **_attempt_json(attempt)})
        if human:
            print(f"{item.template}: {describe(attempt)}", flush=True)
    if not human:
        print(json.dumps({"sequence": sent}, default=str))
    return 0 if all(s["status"] is not None and 200 <= s["status"] < 300 for s in sent) else 1
