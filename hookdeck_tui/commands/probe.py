"""`hooktui probe URL`: run the verification battery of hookdeck_tui/forge/probe.py against an app and print a
scorecard — one line per check, what it means and how to fix it. Exit 0 when every check passes, 1 when one fails,
2 for a usage error."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from hookdeck_tui.commands.common import first_listener_url, load_config_or_report, store_at
from hookdeck_tui.commands.forge import DEFAULT_TEMPLATE, outbound_console, start_callback_console
from hookdeck_tui.commands.signing import UsageError
from hookdeck_tui.forge.build import ForgeError, ForgeSpec, forge
from hookdeck_tui.forge.probe import Check, ProbeSettings, scorecard
from hookdeck_tui.forge.templates import UnknownTemplate, get_template
from hookdeck_tui.signatures import SchemeError, SchemeOptions
from hookdeck_tui.signatures.base import SecretError
from hookdeck_tui.store import Store


def run_probe(args: argparse.Namespace) -> int:
    try:
        if args.url and args.to and args.url != args.to:
            raise UsageError("give the URL once: as an argument or with --to")
        for name in ("request_timeout", "callback_timeout", "settle"):
            if getattr(args, name) < 0 or (name == "request_timeout" and args.request_timeout == 0):
                raise UsageError(f"--{name.replace('_', '-')} must be a positive number of seconds")
        template = get_template(args.template or DEFAULT_TEMPLATE)
    except (UsageError, UnknownTemplate) as exc:
        return _usage(exc)
    config = load_config_or_report("probe", args.config)
    if config is None:
        return 2
    options = SchemeOptions.of(args) if args.hmac_header or args.signed_content else None
    spec = ForgeSpec(template, args.url or args.to or first_listener_url(config), scheme=args.scheme,
                     secret=args.secret, options=options, callback_base="http://127.0.0.1:9")
    try:
        forged = forge(spec)  # every usage problem (no secret, bad URL, unknown scheme) before anything is sent
    except (ForgeError, SchemeError, SecretError) as exc:
        return _usage(exc)
    if forged.scheme is None:
        return _usage("probe checks a signature; the event is unsigned (give --scheme, or a signed template)")
    store = store_at("probe", args.db)
    if isinstance(store, int):
        return store
    try:
        return asyncio.run(_probe(args, spec, store))
    finally:
        store.close()


async def _probe(args: argparse.Namespace, spec: ForgeSpec, store: Store) -> int:
    if spec.template.round_trip:
        console = await start_callback_console("probe", store, args.api_key, args.callback_port)
        if console is None:
            return 2
        spec.callback_base = console.listener_urls[0]
    else:
        console = outbound_console(store)
        spec.callback_base = None
    human = not args.json
    if human:
        print(f"probing {forge(spec).request.url} ({spec.template.name})", flush=True)

    def show(check: Check) -> None:
        if human:
            print("\n".join(scorecard([check])[:-1]), flush=True)

    try:
        settings = ProbeSettings(args.request_timeout, args.callback_timeout, args.settle)
        checks = await console.probe(spec, settings, show)
    finally:
        await console.stop()
    failed = any(c.passed is False for c in checks)
    if human:
        print(scorecard(checks)[-1])
    else:
        print(json.dumps({"url": spec.url, "template": spec.template.name, "passed": not failed,
                          "checks": [c.to_json() for c in checks]}))
    return 1 if failed else 0


def _usage(exc: object) -> int:
    print(f"hooktui probe: {exc}", file=sys.stderr)
    return 2
