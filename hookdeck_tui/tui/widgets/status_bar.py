"""The header line: where the console listens, its public tunnel URLs, counters, the current rate, and the answer
of any route switched with `a`."""

from __future__ import annotations

import time
from collections import deque

from rich.text import Text
from textual.widgets import Static


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
        """Two lines: where requests come in (listeners, public tunnel URLs), then what came in."""
        text = Text()
        text.append(" hooktui ", "bold reverse")
        text.append(" ")
        text.append_text(_listener_urls(self.listeners))
        for state in self.tunnels.values():
            if state["status"] == "online":
                text.append(f"  ⇄ {state['public_url']}", "bold green")
            else:
                text.append(f"  ⇄ {state['name']} {state['status']}", "yellow" if state["status"] != "failed"
                            else "red")
        c = self.counts
        text.append(f"\n {c['total']} event{'' if c['total'] == 1 else 's'}  ", "")
        text.append(f"✓ {c['valid']} valid  ", "green")
        text.append(f"✗ {c['invalid']} invalid  ", "red")
        text.append(f"? {c['unmatched']} unmatched  ", "grey58")
        text.append(f"{self.rate():.1f}/s", "cyan")
        if self.answers:
            text.append(f"   answer: {'; '.join(self.answers)}", "bold magenta")
        if not self.following:
            text.append(f"   {self.pending} new ↓ (f to follow)" if self.pending else "   paused (f to follow)",
                        "bold yellow")
        if text != self._shown:
            self._shown = text
            self.update(text, layout=False)  # always two lines: no layout pass for the whole screen


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
