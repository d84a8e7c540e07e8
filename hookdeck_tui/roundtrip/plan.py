"""How the callback route answers on purpose, to exercise an app's retries (`--callback-answer 500x2,none`,
`--callback-delay 12s`, the forge screen's fields)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hookdeck_tui.answer_settings import parse_duration


@dataclass
class CallbackAnswer:
    status: int
    body: dict[str, Any]
    hold: float | None = 0.0  # seconds to hold the answer back; None: until the round trip ends


class PlanError(ValueError):
    """A `--callback-answer` / `--callback-delay` that cannot be read; the message says what is expected."""


@dataclass
class CallbackPlan:
    """How the callback route answers, to exercise an app's retries: `answers` are used one per callback (a status,
    or None: never answer — hold the request until the round trip ends), then the real answer; `delay` holds back
    every answer that long. An answer told to fail does not end the round trip: the app's next attempt may."""

    answers: list[int | None] = field(default_factory=list)
    delay: float = 0.0

    @classmethod
    def parse(cls, answers: str | None = None, delay: str | float | None = None) -> CallbackPlan:
        plan = cls()
        for step in (answers or "").replace(" ", "").split(","):
            if not step:
                continue
            what, _, times = step.partition("x")
            try:
                count = int(times) if times else 1
                status = None if what in ("none", "hang") else int(what)
            except ValueError:
                raise PlanError(f"--callback-answer {step!r}: expected STATUS[xN] or none[xN], "
                                "e.g. 500x2,none") from None
            if count < 1 or (status is not None and not 100 <= status <= 599):
                raise PlanError(f"--callback-answer {step!r}: a status is 100-599 and N at least 1")
            plan.answers.extend([status] * count)
        plan.delay = parse_seconds(delay) if delay not in (None, "") else 0.0
        return plan

    def __bool__(self) -> bool:
        return bool(self.answers) or self.delay > 0


def parse_seconds(text: str | float) -> float:
    """`12`, `12s`, `500ms`, `1.5` → seconds (the listener's answer delays read the same way)."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise PlanError(f"--callback-delay: {exc}; expected seconds, e.g. 12s or 500ms") from None
