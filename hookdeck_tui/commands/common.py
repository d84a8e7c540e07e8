"""What several subcommands share: loading the config with every problem reported on stderr."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from hookdeck_tui.config import Config, ConfigError, load_config
from hookdeck_tui.listener.pipeline import VerifyDefaults
from hookdeck_tui.store import Store, StoreError, default_db_path
from hookdeck_tui.store.access import is_damage, write_problem


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
    """What `--scheme`, `--secret` ($HOOKTUI_SECRET), `--forward-to` and `--tunnel` mean to a Console — of
    `hooktui` or `hooktui listen`, which run long enough for a writer process to pay."""
    secrets = list(args.secret) or ([os.environ["HOOKTUI_SECRET"]] if os.environ.get("HOOKTUI_SECRET") else [])
    tunnel = getattr(args, "tunnel", None)
    return {"verify_defaults": VerifyDefaults(getattr(args, "scheme", None), secrets),
            "forward_to": args.forward_to, "tunnels": (tunnel,) if tunnel in ("cloudflare", "ngrok") else (),
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


def store_at(command: str, db: str | None, *, missing_exit: int | None = None,
             read_only: bool = False) -> Store | int:
    """The capture store at --db / $HOOKTUI_DB / the XDG default, or the exit code after saying why not. With
    `missing_exit`, a store that does not exist yet is not created (reading never creates one): that code instead.
    `read_only` for commands that only read: then a store on a read-only filesystem opens too."""
    path = default_db_path(db)
    if missing_exit is not None and not path.exists():
        print(f"hooktui {command}: no capture store at {path} yet (nothing has been captured there)", file=sys.stderr)
        return missing_exit
    try:
        return Store(path, read_only=read_only)
    except StoreError as exc:
        if isinstance(exc.__cause__, sqlite3.DatabaseError) and is_damage(exc.__cause__):
            return unreadable_store(command, path, exc.__cause__)
        print(f"hooktui {command}: {exc}", file=sys.stderr)
        return 2


def unreadable_store(command: str, path: Path, exc: sqlite3.DatabaseError) -> int:
    """Exit 1 after one line saying what went wrong reading the store, and what to run when it is damaged."""
    if is_damage(exc):
        print(f"hooktui {command}: the capture store {path} is damaged ({exc}); run `hooktui doctor --db {path}` "
              "to see what is left", file=sys.stderr)
    else:
        print(f"hooktui {command}: cannot read the capture store {path}: {exc}", file=sys.stderr)
    return 1


def first_listener_url(config: Config) -> str:
    """Where the config's first listener answers."""
    if not config.listeners:
        return "http://127.0.0.1:8090"
    first = config.listeners[0]
    host = "127.0.0.1" if first.host in ("0.0.0.0", "::", "") else first.host
    return f"http://{host}:{first.port}"


def preview(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace").replace("\n", " ")
    return text + ("…" if len(body) > limit else "")
