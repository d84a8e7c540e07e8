"""What several subcommands share: loading the config with every problem reported on stderr."""

from __future__ import annotations

import sys

from hookdeck_tui.config import Config, ConfigError, load_config


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
