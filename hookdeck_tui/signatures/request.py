"""A request as a signature sees it: raw body bytes, headers as received, and the URL the provider called."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SignedRequest:
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    url: str | None = None  # the public URL the provider signed (twilio, square); None when unknown
    _first: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """The first value of `name`, case-insensitively (detection asks for many names: index them once)."""
        if self._first is None:
            self._first = {key.lower(): value for key, value in reversed(self.headers)}  # the first one wins
        return self._first.get(name.lower())

    def has_header(self, name: str) -> bool:
        return self.header(name) is not None
