"""A Console over what a command line names (config, store, verify and forward options): bare `hooktui` opens
its console this way, so the TUI never reads the command line's config or store itself."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hookdeck_tui.console import Console


def open_console(command: str, args: argparse.Namespace) -> Console | None:
    """None when the config or the store cannot be opened (said on stderr, as every command says it)."""
    from hookdeck_tui.commands.common import console_options, load_config_or_report, open_store
    from hookdeck_tui.console import Console

    config = load_config_or_report(command, args.config)
    if config is None:
        return None
    store = open_store(command, config, args)
    if store is None:
        return None
    return Console(config, store, **console_options(args))
