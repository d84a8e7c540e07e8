"""The one shape of an outbound request — a replay, a forged event, a probe's variant — exactly as it will be
sent: what `delivery.outbound` sends and records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Outgoing:
    """One HTTP request exactly as it will be sent."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)
