"""Fixtures shared by several test files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest_plugins = ["tests.listener_harness"]  # the `harness` fixture

FAKE = Path(__file__).parent / "fakes" / "fake_tunnel.py"


@pytest.fixture
def fake_binaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`cloudflared` and `ngrok` on PATH, both the fake; $FAKE_TUNNEL_INFO receives its relay port."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("cloudflared", "ngrok"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" {name} "$@"\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_TUNNEL_INFO", str(tmp_path / "relay-port"))
    monkeypatch.delenv("HOOKTUI_CLOUDFLARED", raising=False)
    monkeypatch.delenv("HOOKTUI_NGROK", raising=False)
    return tmp_path / "relay-port"
