"""Where the capture database lives: `--db`, else `HOOKTUI_DB`, else the XDG data directory."""

from __future__ import annotations

import os
from pathlib import Path

DB_FILE_NAME = "hooktui.db"


def default_db_path(explicit: str | None = None, environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit).expanduser()
    if env.get("HOOKTUI_DB"):
        return Path(env["HOOKTUI_DB"]).expanduser()
    data_home = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".local" / "share")
    return Path(data_home) / "hooktui" / DB_FILE_NAME
