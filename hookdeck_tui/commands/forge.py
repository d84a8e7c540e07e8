"""`hooktui templates` and `hooktui send`: forge an event from a template, sign it (or break it on purpose), send
it, print the answer — and for a ModelRiver `task.ai_generated` event, wait for the app's callback (`--wait`).

Exit codes: 0 when the app did what it should (2xx, and with `--wait` a completed callback; with a broken variant,
a 4xx refusal), 1 when it did not, 2 for a usage error."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hookdeck_tui.commands import rehearsal
from hookdeck_tui.commands.common import first_listener_url, load_config_or_report, preview, store_at
from hookdeck_tui.commands.signing import UsageError, parse_header
from hookdeck_tui.config import Config
from hookdeck_tui.console import Console, PortInUse
from hookdeck_tui.forge.build import Forged, ForgeError, ForgeSpec, forge
from hookdeck_tui.forge.overrides import OverrideError
from hookdeck_tui.forge.sending import REFUSED_HINT, answer_ok, refused_genuine
from hookdeck_tui.forge.templates import TEMPLATES, UnknownTemplate, get_template
from hookdeck_tui.roundtrip import (
    API_KEY_ENV,
    CallbackPlan,
    PlanError,
    describe_attempt,
    describe_parts,
)
from hookdeck_tui.roundtrip.tunnel import TunnelDown, callback_tunnel, open_callback_tunnel
from hookdeck_tui.signatures import SchemeError, SchemeOptions, canonical_name
from hookdeck_tui.signatures.base import SecretError
from hookdeck_tui.store import RoundTrip, Store

DEFAULT_TEMPLATE = "modelriver.task_ai_generated"


def run_templates(as_json: bool = False) -> int:
    if as_json:
        print(json.dumps([{"name": t.name, "description": t.description, "scheme": t.scheme, "path": t.path,
                           "form": t.form, "round_trip": t.round_trip} for t in TEMPLATES.values()], indent=2))
        return 0
    width = max(len(name) for name in TEMPLATES)
    for t in TEMPLATES.values():
        print(f"{t.name:<{width}}  {t.scheme or 'unsigned':<17}  {t.path:<21}  {t.description}")
    return 0


def run_send(args: argparse.Namespace) -> int:
    try:
        spec = _spec(args)
        plan = CallbackPlan.parse(args.callback_answer, args.callback_delay)
        steps = rehearsal.read_sequence(args.sequence, spec.template.name) if args.sequence else None
    except (UsageError, UnknownTemplate, ForgeError, OverrideError, PlanError, rehearsal.SequenceError) as exc:
        return _usage(exc)
    problem = rehearsal.usage_problem(args)
    if problem:
        return _usage(problem)
    config = load_config_or_report("send", args.config)  # ./hooktui.yaml, else the built-in default
    if config is None:
        return 2
    if spec.url == "":
        spec.url = first_listener_url(config)
    if args.wait and not spec.template.round_trip:
        return _usage(f"--wait waits for a callback; {spec.template.name} does not ask for one "
                      f"(templates that do: {', '.join(t.name for t in TEMPLATES.values() if t.round_trip)})")
    for flag, given in (("--callback-answer", args.callback_answer), ("--callback-delay", args.callback_delay),
                        ("--tunnel", args.tunnel), ("--linger", args.linger)):
        if given and not args.wait:
            return _usage(f"{flag} is for the callback listener of --wait; add --wait")
    if args.tunnel and args.callback_url:
        return _usage("give either --tunnel (a public URL for the --wait listener) or --callback-url, not both")
    try:
        tunnel = callback_tunnel(args.tunnel, config)
    except ValueError as exc:
        return _usage(exc)
    if steps is not None:
        spec.callback_base = args.callback_url or first_listener_url(config)
        try:
            sequence = rehearsal.forge_sequence(steps, spec)
        except (ForgeError, OverrideError, SchemeError, SecretError) as exc:
            return _usage(exc)
        if args.dry_run:
            for forged in sequence:
                _print_request(forged)
            return 0
    if args.dry_run:
        spec.callback_base = args.callback_url or first_listener_url(config)
        try:
            forged = forge(spec)
        except (ForgeError, OverrideError, SchemeError, SecretError) as exc:
            return _usage(exc)
        _warn_loopback(forged, spec.callback_base)
        _print_request(forged)
        return 0
    if args.retries == "provider" and (problem := _no_schedule(spec)):
        return _usage(problem)
    store = store_at("send", args.db)
    if isinstance(store, int):
        return store
    try:
        if steps is not None:
            return asyncio.run(rehearsal.deliver_sequence(args, spec, steps, sequence,
                                                             outbound_console(store, config)))
        return asyncio.run(_send(args, spec, store, config, plan, tunnel))
    finally:
        store.close()


def outbound_console(store: Store, config: Config | None = None, api_key: str | None = None) -> Console:
    """A Console that is not started: it sends (and keeps what it sent) but listens for nothing."""
    from hookdeck_tui.config.loader import parse_config

    return Console(config or parse_config("listener: {type: capture, port: 0}", "hooktui send"), store,
                   inspection_port=None, api_key=api_key)


async def _send(args: argparse.Namespace, spec: ForgeSpec, store: Store, config: Config, plan: CallbackPlan,
                tunnel: Any) -> int:
    if args.wait and not args.callback_url:
        console = await start_callback_console("send", store, args.api_key, args.callback_port)
        if console is None:
            return 2
        spec.callback_base = console.listener_urls[0]
        if tunnel is not None:
            try:
                spec.callback_base = await open_callback_tunnel(console, tunnel, human=not args.json)
            except TunnelDown as exc:
                print(f"hooktui send: {exc}", file=sys.stderr)
                await console.stop()
                return 1
    else:
        console = outbound_console(store, config, args.api_key)  # its round trips: $MODELRIVER_API_KEY else
        spec.callback_base = args.callback_url or first_listener_url(config)
    try:
        try:
            forged = forge(spec)
        except (ForgeError, OverrideError, SchemeError, SecretError) as exc:
            return _usage(exc)
        _warn_loopback(forged, spec.callback_base)
        return await _deliver(args, spec, forged, console, plan)
    finally:
        await console.stop()


CALLBACK_LISTENER_YAML = """
listener:
  type: capture
  host: 127.0.0.1
  port: 0
  max_body_size: 1048576
  respond: {status: 404, body: {error: "this listener only takes round-trip callbacks"}}
"""


async def start_callback_console(command: str, store: Store, api_key: str | None, port: int) -> Console | None:
    """A listener on 127.0.0.1 for the callbacks only (None, said on stderr, when it cannot start). With
    `--tunnel` it is public for the whole wait: anything but a round-trip callback is captured (as every request
    is) but refused, and bodies are bounded well below a console's."""
    from hookdeck_tui.config.loader import parse_config

    callbacks = parse_config(CALLBACK_LISTENER_YAML, "the callback listener of `hooktui send --wait`")
    callbacks.listeners[0].port = port
    console = Console(callbacks, store, inspection_port=None, api_key=api_key)
    try:
        await console.start()
    except PortInUse as exc:
        print(f"hooktui {command}: cannot listen for the callback: {exc}", file=sys.stderr)
        return None
    return console


def _no_schedule(spec: ForgeSpec) -> str | None:
    """--retries provider for an event whose provider has no schedule: said before anything is sent."""
    scheme = spec.template.scheme if spec.scheme is None else None if spec.scheme == "none" else spec.scheme
    try:
        rehearsal.schedule_for(canonical_name(scheme) if scheme else None)
    except (LookupError, SchemeError) as exc:
        return str(exc)
    return None


async def _deliver(args: argparse.Namespace, spec: ForgeSpec, forged: Forged, console: Console,
                   plan: CallbackPlan) -> int:
    if rehearsal.rehearsing(args):
        return await rehearsal.deliver_rehearsal(args, spec, forged, console)
    round_trips = console.round_trips
    event, result = await console.send(forged, options=spec.options, timeout=args.request_timeout,
                                       trip_timeout=args.timeout, plan=plan)
    report: dict[str, Any] = {"event": event.id, "request": {"method": "POST", "url": forged.request.url,
                                                             "template": forged.template, "scheme": forged.scheme,
                                                             "variant": forged.variant, "notes": forged.notes},
                              "response": {k: v for k, v in (event.forward.to_json() if event.forward else {}).items()
                                           if k != "headers"}}
    human = not args.json
    if human:
        signed = f"signed {forged.scheme}" if forged.scheme else "unsigned"
        print(f"→ {forged.request.method} {forged.request.url}  ({forged.template}, {signed}"
              f"{', ' + forged.variant if forged.variant else ''})  event #{event.id}")
        for note in forged.notes:
            print(f"  {note}")
        print(f"← {result.status} in {result.latency_ms:g} ms  {preview(result.body)}" if result.status is not None
              else f"← no answer: {result.error}")
    ok = answer_ok(result.status, forged.variant)
    if forged.variant and human:
        print("  " + _variant_verdict(forged.variant, result.status, ok))
    if refused_genuine(result.status, forged.variant, forged.scheme):
        report["hint"] = REFUSED_HINT
        if human:
            print(f"  ✗ {REFUSED_HINT}")
    if forged.channel_id and forged.variant is None:
        callback_base = (spec.callback_base or "").rstrip("/")
        if args.wait:
            if human and ok:
                print(f"… waiting up to {args.timeout:g} s for the callback at "
                      f"{callback_base}/_hooktui/callback/{forged.channel_id}", flush=True)
            trip = await round_trips.wait(forged.channel_id, args.timeout)
            if args.linger:
                await asyncio.sleep(args.linger)  # a retry, a second callback or a follow-up after the end
            await round_trips.settle(max(plan.delay, 1.0) + 1.0)
            attempts = console.callback_attempts(event.id) if event.id is not None else []
            report["round_trip"], report["callbacks"] = asdict(trip) if trip else None, attempts
            ok = ok and trip is not None and trip.status == "completed"
            if human and trip is not None:
                print(describe_trip(trip))
                if len(attempts) > 1 or plan or any(a["second"] for a in attempts):
                    for number, attempt in enumerate(attempts, 1):
                        print(describe_attempt(number, attempt))
        elif human:
            print(f"  the callback goes to {callback_base}/_hooktui/callback/{forged.channel_id}: "
                  f"a running hooktui there shows the round trip (or pass --wait)")
    if not human:
        print(json.dumps(report, default=str))
    return 0 if ok else 1


def _warn_loopback(forged: Forged, callback_base: str | None) -> None:
    warning = Console.loopback_warning(forged, callback_base)
    if warning:
        print(f"hooktui send: warning: {warning}", file=sys.stderr)


def _variant_verdict(variant: str, status: int | None, ok: bool) -> str:
    what = {"bad-signature": "signed with another secret", "tamper-body": "changed after signing",
            "stale": "an hour old"}[variant]
    if ok:
        return f"✓ the app refused a request {what}, as it should"
    if status is not None and 200 <= status < 300:
        return f"✗ the app accepted a request {what}: it should answer 4xx"
    if status in (404, 405):
        return f"✗ the app answered {status}: is the path right? (a refusal of the request is 400/401/403)"
    return "✗ no answer" if status is None else f"✗ the app answered {status}: a refusal is a 4xx"


def describe_trip(trip: RoundTrip) -> str:
    detail = trip.detail
    status = trip.status
    if status in ("refused", "timeout"):
        return f"✗ {status}: {detail.get('reason', '')}"
    check = detail.get("check") or {}
    took = ""
    if detail.get("callback_at") is not None:
        took = f" after {detail['callback_at'] - trip.started_at:.2f} s"
    parts = [{"ok": "Bearer ok", "missing": "no Bearer token", "wrong": "wrong Bearer token",
              "unchecked": f"Bearer not checked (no ${API_KEY_ENV})"}.get(str(check.get("auth")), "")]
    if status == "failed":
        parts.append(f"processing_failed: {check.get('message')}")
    parts.extend(check.get("problems") or [])
    parts.extend(describe_parts(check))
    late = " (late: after the timeout)" if detail.get("late") else ""
    mark = "✓" if status == "completed" else "✗"
    return f"{mark} callback{took}{late}: {status}; " + "; ".join(p for p in parts if p) + \
        f"  (event #{trip.callback_event})"


def _spec(args: argparse.Namespace) -> ForgeSpec:
    if args.url and args.to and args.url != args.to:
        raise UsageError("give the URL once: as an argument or with --to")
    template = get_template(args.template or DEFAULT_TEMPLATE)
    data = _read_data(args.data, template.form) if args.data else None
    variant = next((v for v in ("bad_signature", "tamper_body", "stale") if getattr(args, v)), None)
    options = SchemeOptions.of(args) if getattr(args, "hmac_header", None) or getattr(args, "signed_content", None) \
        else None
    spec = ForgeSpec(template, args.url or args.to or "", data=data, sets=list(args.set), scheme=args.scheme,
                     secret=args.secret, options=options, variant=variant.replace("_", "-") if variant else None,
                     headers=[parse_header(h) for h in args.header])
    return spec


def _read_data(source: str, form: bool) -> Any:
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"--data {source}: {exc.strerror or exc}") from exc
    try:
        return json.loads(raw)
    except ValueError as exc:
        if form:
            from urllib.parse import parse_qsl

            return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        raise UsageError(f"--data {source}: not JSON ({exc})") from exc


def _print_request(forged: Forged) -> None:
    request = forged.request
    print(f"{request.method} {request.url}")
    for name, value in request.headers:
        print(f"{name}: {value}")
    print()
    sys.stdout.flush()
    sys.stdout.buffer.write(request.body + b"\n")


def _usage(exc: object) -> int:
    print(f"hooktui send: {exc}", file=sys.stderr)
    return 2
