"""The header line: where the console listens, its public tunnel URLs, counters, the current rate, and the answer
of any route switched with `a`."""

from __future__ import annotations

import time
from collections import deque

from rich.text import Text
from textual.widgets import Static

from hookdeck_tui.tui.theme_styles import palette_of


class StatusBar(Static):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.listeners: list[str] = []
        self.tunnels: dict[str, dict] = {}
        self.counts = {"total": 0, "valid": 0, "invalid": 0, "unmatched": 0}
        self.pending = 0
        self.following = True
        self.answers: list[str] = []  # routes answering otherwise than configured (the `a` key), "route → mode"
        self._arrivals: deque[tuple[float, int]] = deque()  # (when, how many) per frame, for the rate
        self._shown: Text | None = None

    def add_history(self, tally: dict[str, int]) -> None:
        """Add the stored history's counters (counted once, off the UI thread): not arrivals, so not in the rate."""
        for key, value in tally.items():
            self.counts[key] += value

    def add(self, tally: dict[str, int]) -> None:
        """Add what arrived since the last frame (Store.tally_since)."""
        for key, value in tally.items():
            self.counts[key] += value
        if tally["total"]:
            self._arrivals.append((time.monotonic(), tally["total"]))

    def rate(self) -> float:
        horizon = time.monotonic() - 10
        while self._arrivals and self._arrivals[0][0] < horizon:
            self._arrivals.popleft()
        return sum(n for _, n in self._arrivals) / 10

    def redraw(self) -> None:
        """Two lines: where requests come in (listeners, public tunnel URLs), then what came in. Each is cut to the
        width with `…` (a long tunnel URL never pushes the counters off), in the theme's colours."""
        palette = palette_of(self.app)
        where = Text()
        where.append(" hooktui ", "bold reverse")
        where.append(" ")
        where.append_text(_listener_urls(self.listeners))
        for state in self.tunnels.values():
            if state["status"] == "online":
                where.append(f"  ⇄ {state['public_url']}", f"bold {palette.ok}")
            else:
                where.append(f"  ⇄ {state['name']} {state['status']}",
                             palette.style("warn" if state["status"] != "failed" else "bad"))
        c = self.counts
        what = Text(f" {c['total']} event{'' if c['total'] == 1 else 's'}  ")
        what.append(f"✓ {c['valid']} valid  ", palette.style("ok"))
        what.append(f"✗ {c['invalid']} invalid  ", palette.style("bad"))
        what.append(f"? {c['unmatched']} unmatched  ", palette.style("muted"))
        what.append(f"{self.rate():.1f}/s", palette.style("info"))
        if self.answers:
            what.append(f"   answer: {'; '.join(self.answers)}", f"bold {palette.accent}")
        if not self.following:
            what.append(f"   {self.pending} new ↓ (f to follow)" if self.pending else "   paused (f to follow)",
                        f"bold {palette.warn}")
        width = self.size.width
        for line in (where, what):
            line.no_wrap = True
            if width:
                line.truncate(width, overflow="ellipsis")
        text = Text("\n").join((where, what))
        if text != self._shown:
            self._shown = text
            self.update(text, layout=False)  # always two lines: no layout pass for the whole screen

    def on_resize(self) -> None:
        self.redraw()


def _listener_urls(urls: list[str]) -> Text:
    """`http://127.0.0.1:8090 :8091 :8092`: listeners on one host share its name."""
    text = Text()
    previous_host = None
    for url in urls:
        scheme_host, _, port = url.rpartition(":")
        if scheme_host == previous_host:
            text.append(f" :{port}", "bold")
        else:
            text.append(f" {url}" if previous_host else url, "bold")
        previous_host = scheme_host
    return text
