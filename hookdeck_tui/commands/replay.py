"""`hooktui replay ID [--to URL|listener] [--resign]`: send a captured event again — to the app the config
forwards it to, to the config's own listener, or to any URL — as captured (byte-exact) or re-signed with a fresh
timestamp. The replay is captured as an event of origin "replay" pointing at the original."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from hookdeck_tui.commands.common import load_config_or_report, preview, store_at
from hookdeck_tui.delivery.replay import ReplayError


def run_replay(args: argparse.Namespace) -> int:
    config = load_config_or_report("replay", args.config)  # ./hooktui.yaml, else the built-in default
    if config is None:
        return 2
    store = store_at("replay", args.db, missing_exit=2)
    if isinstance(store, int):
        return store
    from hookdeck_tui.config.models import ForwardTarget
    from hookdeck_tui.console import Console

    console = Console(config, store, inspection_port=None,
                      forward_to=[ForwardTarget(url=args.forward_to)] if args.forward_to else None)
    try:
        event = store.get(args.id)
        if event is None:
            print(f"hooktui replay: no event #{args.id} in {store.path}", file=sys.stderr)
            return 2
        try:
            outcome = asyncio.run(console.replay(event, to=args.to, resign=args.resign, scheme=args.scheme,
                                                 secret=args.secret, timeout=args.timeout))
        except ReplayError as exc:
            print(f"hooktui replay: {exc}", file=sys.stderr)
            return 2
    finally:
        store.close()
    result = outcome.result
    if args.json:
        print(json.dumps({"original": event.id, "replay": outcome.event.id if outcome.event else None,
                          "url": outcome.request.url, "resigned": args.resign, "status": result.status,
                          "latency_ms": result.latency_ms, "error": result.error,
                          "original_status": event.response_status,
                          "signature": outcome.verdict.status if outcome.verdict else None}))
    else:
        print(outcome.line(event))
        if result.status is not None and result.body:
            print(f"  {preview(result.body)}")
    return 0 if result.status is not None and 200 <= result.status < 300 else 1
