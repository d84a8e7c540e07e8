"""Promises about the project itself: the README's commands are what CI runs, and the core never imports
Textual (only `hookdeck_tui/tui/` may)."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import hookdeck_tui

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- test-command -->\s*```(?:sh|bash)\n(.+?)\n```", readme, re.S)
    assert match, "README must mark its test command with <!-- test-command -->"
    command = match.group(1).strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert command in ci.splitlines(), f"{command!r} is not a line of .ci/run"


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(hookdeck_tui.__path__, "hookdeck_tui."):
        if ".tui" not in info.name and info.name != "hookdeck_tui.__main__":
            names.append(info.name)
    return names


@pytest.mark.parametrize("module", _core_modules())
def test_core_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; assert 'textual' not in sys.modules, 'textual imported by {module}'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_started_console_sets_its_long_lived_objects_aside_from_the_garbage_collector() -> None:
    """runtime.settle_after_start (called by `hooktui` and `hooktui listen` once up, never by library code): in a
    fresh interpreter, what exists is frozen and young objects are collected less often."""
    code = ("import gc; from hookdeck_tui.runtime import GC_YOUNG_THRESHOLD, settle_after_start; "
            "assert gc.get_freeze_count() == 0; settle_after_start(); "
            "print(gc.get_freeze_count() > 1000, gc.get_threshold()[0] == GC_YOUNG_THRESHOLD)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "True"], done.stderr
