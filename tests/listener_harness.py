"""A real Console on ephemeral loopback ports with its own store, closed after the test: the `harness` fixture
(conftest.py registers this module as a plugin, so every test file can ask for it)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.store import Store


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.store = Store(tmp_path / "events.db")
        self.consoles: list[Console] = []
        self.http = httpx.AsyncClient(timeout=10)

    async def console(self, yaml_text: str, **options) -> Console:
        options.setdefault("writer_process", True)  # as `hooktui` and `hooktui listen` run it
        console = Console(parse_config(yaml_text, "test.yaml"), self.store, **options)
        await console.start()
        self.consoles.append(console)
        return console

    async def close(self) -> None:
        for console in self.consoles:
            await console.stop()
        await self.http.aclose()
        self.store.close()


@pytest.fixture
async def harness(tmp_path: Path):
    h = Harness(tmp_path)
    yield h
    await h.close()
