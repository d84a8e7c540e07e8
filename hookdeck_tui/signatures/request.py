"""A request as a signature sees it: raw body bytes, headers as received, and the URL the provider called."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SignedRequest:
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    url: str | None = None  # the public URL the provider signed (twilio, square); None when unknown

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    def has_header(self, name: str) -> bool:
        return self.header(name) is not None
