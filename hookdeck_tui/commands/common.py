"""What several subcommands share: loading the config with every problem reported on stderr."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hookdeck_tui.commands.answer_args import apply_answer_flags, forward_targets
from hookdeck_tui.commands.store_access import store_at as store_at  # re-exported: replay, send and probe use it
from hookdeck_tui.config import Config, ConfigError, load_config
from hookdeck_tui.listener.address import first_listener_url  # noqa: F401  (re-exported)
from hookdeck_tui.listener.pipeline import VerifyDefaults
from hookdeck_tui.signatures.secrets import parse_cli_secrets
from hookdeck_tui.store import Store, StoreError, default_db_path
from hookdeck_tui.store.access import write_problem


def load_config_or_report(command: str, path: str | None) -> Config | None:
    """The config, or None after printing why not (each problem with file:line:col)."""
    try:
        return load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
    except OSError as exc:
        print(f"hooktui {command}: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
    return None


def console_options(args: argparse.Namespace) -> dict[str, Any]:
    """What `--scheme`, `--secret`, `--enforce`, `--forward-to` and `--tunnel` mean to a Console — of `hooktui`
    or `hooktui listen`, which run long enough for a writer process to pay. ($HOOKTUI_SECRET and the provider's
    variables are read by the listener, per scheme.)"""
    secrets: list[str] = list(parse_cli_secrets(args.secret))  # argparse refused empty ones already
    tunnel = getattr(args, "tunnel", None)
    return {"verify_defaults": VerifyDefaults(getattr(args, "scheme", None), secrets, args.enforce),
            "forward_to": forward_targets(args.forward_to), "forward_events": getattr(args, "events", None),
            "tunnels": (tunnel,) if tunnel in ("cloudflare", "ngrok") else (),
            "writer_process": True}


def apply_overrides(config: Config, *, host: str | None, port: int | None) -> None:
    """--host/--port apply to the first listener (the built-in default has exactly one)."""
    if host is None and port is None:
        return
    if not config.listeners:
        raise ValueError(f"{config.source} has no listener for --host/--port to apply to")
    first = config.listeners[0]
    first.host = host or first.host
    first.port = first.port if port is None else port


def open_store(command: str, config: Config, args: argparse.Namespace) -> Store | None:
    """Apply --host/--port, then open the capture store; None after printing why not — including a store that
    cannot be written (an immutable file): every request would be answered 503, so nothing starts."""
    name = f"hooktui{' ' + command if command else ''}"
    try:
        apply_overrides(config, host=getattr(args, "host", None), port=args.port)
        apply_answer_flags(config, args)
        store = Store(default_db_path(args.db))
    except (ValueError, StoreError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return None
    problem = write_problem(store.path)
    if problem is not None:
        store.close()
        print(f"{name}: the capture store {store.path} cannot be written ({problem}); every request would be "
              "answered 503, so nothing was started: choose a writable place with --db", file=sys.stderr)
        return None
    return store


def preview(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace").replace("\n", " ")
    return text + ("…" if len(body) > limit else "")
