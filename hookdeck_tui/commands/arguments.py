"""Argument types shared by the subcommands: a bad value is argparse's one-line usage error (exit 2), never a
traceback later."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import NoReturn
from urllib.parse import urlsplit

from hookdeck_tui.signatures.secrets import parse_cli_secrets


def port(text: str) -> int:
    """0-65535 (0: any free port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0-65535; 0 picks a free one)")
    return value


def count(text: str) -> int:
    """A whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def secret(text: str) -> str:
    """A secret or SCHEME=secret; empty is a mistake (an unset shell variable, most often)."""
    try:
        parse_cli_secrets([text])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--secret ")) from None
    return text


def http_url(text: str) -> str:
    """An http(s) URL; `localhost:4000` and `localhost:4000/hook` are taken as http://."""
    url = text.strip()
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number, or past 65535
        port = 0
    if port == 0:  # nothing listens on port 0: binding to it only asks the system for a free port
        raise argparse.ArgumentTypeError(f"`{text}` has a bad port")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"`{text}` is not an http URL like http://localhost:4000/webhook")
    return url


def replay_target(text: str) -> str:
    """`listener`, or an http URL."""
    return text if text == "listener" else http_url(text)


def seconds(text: str) -> float:
    """A duration over 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a duration (more than 0 seconds)")
    return value


class Parser(argparse.ArgumentParser):
    """argparse with its usage errors as one line (the usage block is one `--help` away), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def moment(text: str) -> float:
    """An ISO date or date-time (`2026-11-01`, `2026-11-01T12:00`, with or without an offset; local time when
    without), as Unix time."""
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date like 2026-11-01 or 2026-11-01T12:00") from None
