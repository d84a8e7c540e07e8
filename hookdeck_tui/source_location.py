"""Where a value came from in a config file, so every error can say file:line:col and the key path."""

from __future__ import annotations

from dataclasses import dataclass


def format_key_path(path: tuple[str | int, ...]) -> str:
    """`("listener", "callbacks", 0, "path")` → `listener.callbacks[0].path`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


@dataclass(frozen=True)
class SourceLocation:
    file: str
    line: int  # 1-based
    column: int  # 1-based
    key_path: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {format_key_path(self.key_path)}"
