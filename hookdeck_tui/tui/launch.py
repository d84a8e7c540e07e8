"""Bare `hooktui`: load the config and store, then run the console app over a Console engine."""

from __future__ import annotations

import argparse

from hookdeck_tui.commands.common import console_options, load_config_or_report, open_store
from hookdeck_tui.console import Console
from hookdeck_tui.tui.app import HooktuiApp


def run_console(args: argparse.Namespace) -> int:
    config = load_config_or_report("", args.config)
    if config is None:
        return 2
    store = open_store("", config, args)
    if store is None:
        return 2
    try:
        app = HooktuiApp(Console(config, store, **console_options(args)))
        app.run()
        return app.return_code or 0
    finally:
        store.close()
