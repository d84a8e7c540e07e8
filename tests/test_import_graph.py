"""The TUI is one face of the engine and reaches it through one door: nothing under hookdeck_tui/tui/ imports an
engine module other than the Console (hookdeck_tui.console and its submodules) and the pure text helpers of
hookdeck_tui.formatting — at module level or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import hookdeck_tui

PACKAGE = Path(hookdeck_tui.__file__).parent
ALLOWED = ("hookdeck_tui.console", "hookdeck_tui.formatting", "hookdeck_tui.tui")


def imported_modules(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, module) of every import in the file (or in `source`, as if it were that file), relative imports
    resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source, str(path))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "hookdeck_tui":  # `from hookdeck_tui import store` imports hookdeck_tui.store
                found += [(node.lineno, f"hookdeck_tui.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return found


def outside_the_door(module: str) -> bool:
    if module != "hookdeck_tui" and not module.startswith("hookdeck_tui."):
        return False
    return not any(module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED)


def test_the_tui_imports_the_engine_only_through_the_console() -> None:
    files = sorted((PACKAGE / "tui").rglob("*.py"))
    assert len(files) > 10  # the walk found the TUI
    offending = [f"{path.relative_to(PACKAGE.parent)}:{line}: {module}"
                 for path in files for line, module in imported_modules(path) if outside_the_door(module)]
    assert offending == []


def test_the_check_sees_module_level_function_level_and_relative_imports() -> None:
    """The check itself: each way of importing the engine from a TUI module is caught, the door is let through."""
    source = ("from hookdeck_tui.store import Store\n"
              "def later():\n    import hookdeck_tui.delivery.replay\n"
              "    from ..forge import build\n"
              "from hookdeck_tui import bus\n"
              "from hookdeck_tui.console.types import CapturedEvent\n"
              "from hookdeck_tui.console import Console\n"
              "from . import bridge\n")
    modules = [module for _, module in imported_modules(PACKAGE / "tui" / "sample.py", source)]
    assert sorted(m for m in modules if outside_the_door(m)) == [
        "hookdeck_tui.bus", "hookdeck_tui.delivery.replay", "hookdeck_tui.forge", "hookdeck_tui.store"]
    assert "hookdeck_tui.tui" in modules  # `from . import bridge`, resolved
