"""`hooktui check`: validate a config and print every problem as file:line:col: key.path: message."""

from __future__ import annotations

import sys

from hookdeck_tui.config import BUILTIN_DEFAULT_YAML, BUILTIN_LABEL, check_config_text, find_config_file


def run_check(config_path: str | None) -> int:
    path = find_config_file(config_path)
    if path is None:
        text, label = BUILTIN_DEFAULT_YAML, BUILTIN_LABEL
    else:
        try:
            text, label = path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"hooktui check: cannot read {path}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
            return 2
    config, problems = check_config_text(text, label)
    for problem in problems:
        print(problem)
    errors = sum(1 for p in problems if p.severity == "error")
    if config is None:
        print(f"{label}: {errors} error(s); not usable until fixed", file=sys.stderr)
        return 2
    print(f"ok: {label}: {config.summary()}")
    return 0

