"""`hooktui prune --before DATE | --keep N | --all`: remove old events from the capture store (with their forward
attempts, round trips and the runs they triggered), in one transaction."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hookdeck_tui.formatting import local_time
from hookdeck_tui.store import Store, default_db_path
from hookdeck_tui.store.retention import PruneError, prune


def _has_events(path: Path) -> bool:
    with Store(path) as store:
        return store.last_id() > 0


def run_prune(args: argparse.Namespace) -> int:
    path = default_db_path(args.db)
    if not path.exists():
        print(f"hooktui prune: no capture store at {path} (nothing to remove)", file=sys.stderr)
        return 0
    try:
        removed = prune(path, before=args.before, keep=args.keep, everything=args.all)
    except PruneError as exc:
        print(f"hooktui prune: {exc}", file=sys.stderr)
        return 1
    which = ("every event" if args.all else f"events received before {local_time(args.before)}"
             if args.before is not None else f"all but the newest {args.keep} events")
    print(f"removed {removed} event{'s' if removed != 1 else ''} ({which}) from {path}")
    if removed and not _has_events(path):  # SQLite numbers rows after the highest one left
        print("the store is empty: new event ids start again at 1 (restart a console that has it open)")
    return 0
