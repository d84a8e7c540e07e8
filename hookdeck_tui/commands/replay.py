"""`hooktui replay ID [--to URL|listener] [--resign]`: send a captured event again — to the app the config
forwards it to, to the config's own listener, or to any URL — as captured (byte-exact) or re-signed with a fresh
timestamp. The replay is captured as an event of origin "replay" pointing at the original."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from hookdeck_tui.commands.common import first_listener_url, load_config_or_report, preview, store_at
from hookdeck_tui.config.models import ForwardTarget
from hookdeck_tui.delivery.replay import LISTENER, ReplayError, forward_url, replay, replay_url, resign_settings
from hookdeck_tui.signatures import SchemeError
from hookdeck_tui.signatures.base import SecretError


def run_replay(args: argparse.Namespace) -> int:
    config = load_config_or_report("replay", args.config)  # ./hooktui.yaml, else the built-in default
    if config is None:
        return 2
    store = store_at("replay", args.db, missing_exit=2)
    if isinstance(store, int):
        return store
    try:
        event = store.get(args.id)
        if event is None:
            print(f"hooktui replay: no event #{args.id} in {store.path}", file=sys.stderr)
            return 2
        try:
            if args.to == LISTENER:
                url = replay_url(event, first_listener_url(config))
            elif args.to:
                url = replay_url(event, args.to)
            else:
                url = forward_url(config, event, [ForwardTarget(url=args.forward_to)] if args.forward_to else [])
                if url is None:
                    raise ReplayError("no forward target is configured for this event: pass --to URL (your app), "
                                      "--to listener (the console's own listener) or --forward-to URL")
            resign = resign_settings(config, event, scheme=args.scheme, secret=args.secret) if args.resign else None
        except (ReplayError, SchemeError, SecretError) as exc:
            print(f"hooktui replay: {exc}", file=sys.stderr)
            return 2
        outcome = asyncio.run(replay(store, event, url, resign=resign, timeout=args.timeout))
    finally:
        store.close()
    result = outcome.result
    if args.json:
        print(json.dumps({"original": event.id, "replay": outcome.event.id if outcome.event else None,
                          "url": url, "resigned": resign is not None, "status": result.status,
                          "latency_ms": result.latency_ms, "error": result.error,
                          "original_status": event.response_status,
                          "signature": outcome.event.signature.status if outcome.event and outcome.event.signature
                          else None}))
    else:
        print(outcome.line(event))
        if result.status is not None and result.body:
            print(f"  {preview(result.body)}")
    return 0 if result.status is not None and 200 <= result.status < 300 else 1
