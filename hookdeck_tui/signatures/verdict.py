"""The outcome of checking one request's signature."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("valid", "invalid", "missing", "expired", "unchecked", "malformed")
DIAGNOSABLE = ("invalid", "malformed", "missing", "expired")  # what a diagnosis can explain (stored as `pending`)


@dataclass
class SignatureVerdict:
    """`status` is one of STATUSES; `reason` says why in a sentence; `details` holds expected/received values,
    the diagnosis of an invalid signature and the timestamp skew."""

    scheme: str | None
    status: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"
