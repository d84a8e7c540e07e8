"""Bare `hooktui`: load the config and store, then run the console app over a Console engine."""

from __future__ import annotations

import argparse
import asyncio
import signal

from hookdeck_tui.console.opening import open_console
from hookdeck_tui.tui.app import HooktuiApp


def run_console(args: argparse.Namespace) -> int:
    console = open_console("", args)
    if console is None:
        return 2
    try:
        app = HooktuiApp(console)
        run_app(app)
        return app.return_code or 0
    finally:
        console.close()


def run_app(app: HooktuiApp, **options) -> None:
    """Run the app on uvloop when it is there (uvicorn[standard] brings it): the listeners share the loop with the
    UI, and uvloop's faster I/O is what `hooktui listen` runs on too. Once it has painted, the process settles
    its garbage collector (runtime.py)."""
    app.settle_when_started = True
    try:
        import uvloop
    except ImportError:  # pragma: no cover - present on Linux and macOS
        loop = asyncio.new_event_loop()
    else:
        loop = uvloop.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGHUP):  # quit as `q` does: listeners and tunnels stop first
        loop.add_signal_handler(sig, app.exit)
    try:
        app.run(loop=loop, **options)
    finally:
        loop.close()
