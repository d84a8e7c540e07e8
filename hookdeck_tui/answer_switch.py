"""The console's answer switch: one key cycles the answer of a route — as configured (200) → 500 → slow → no
answer → app (only when the route forwards somewhere) — so "what does my sender do when my endpoint 500s?" is one
key away. It swaps the route's `respond` for a ready-made one; the listener picks it up on the next request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hookdeck_tui.config import Route
from hookdeck_tui.config.models import ForwardTarget, RespondConfig

SLOW_DELAY = "5s"  # slow, yet under the timeouts of the common senders (GitHub's is 10 s)


class AnswerSwitch:
    def __init__(self, routes: list[Route], default_forward: list[ForwardTarget]) -> None:
        self.routes = routes
        self.default_forward = default_forward
        self._configured: dict[int, RespondConfig | str] = {id(route): route.respond for route in routes}
        self._mode: dict[int, str] = {}

    def route_of(self, label: str | None) -> Route | None:
        """The route an event was captured on (its stored label)."""
        return next((route for route in self.routes if route.label == label), None)

    def modes(self, route: Route) -> list[str]:
        forwards = bool(route.forward or self.default_forward)
        return list(dict.fromkeys([self._configured_name(route), "500", "slow", "no answer"] +
                                  (["app"] if forwards else [])))

    def mode(self, route: Route) -> str:
        return self._mode.get(id(route)) or self._configured_name(route)

    def cycle(self, route: Route) -> str:
        """Switch the route to its next answer; the new mode's name."""
        modes = self.modes(route)
        current = self.mode(route)
        following = modes[(modes.index(current) + 1) % len(modes)] if current in modes else modes[0]
        self.set(route, following)
        return following

    def set(self, route: Route, mode: str) -> None:
        configured = self._configured[id(route)]
        if mode == self._configured_name(route):
            route.respond = configured
            self._mode.pop(id(route), None)
            return
        base = configured if isinstance(configured, RespondConfig) else RespondConfig()
        answers: dict[str, Callable[[], RespondConfig | str]] = {
            "500": lambda: RespondConfig(status=500), "slow": lambda: _with(base, delay=SLOW_DELAY),
            "no answer": lambda: RespondConfig(status="hang"), "app": lambda: "app"}
        route.respond = answers[mode]()
        self._mode[id(route)] = mode

    def changed(self) -> list[tuple[Route, str]]:
        """The routes that answer otherwise than configured, with their mode (for the status bar)."""
        return [(route, self._mode[id(route)]) for route in self.routes if id(route) in self._mode]

    def _configured_name(self, route: Route) -> str:
        configured = self._configured[id(route)]
        if isinstance(configured, RespondConfig):
            plain = configured.delay is None and configured.fail is None and configured.sequence is None
            return str(configured.status) if plain else "configured"
        return str(configured)  # app


def _with(base: RespondConfig, **changes: Any) -> RespondConfig:
    copy = RespondConfig.model_validate({**base.model_dump(exclude_unset=True), **changes})
    copy._compiled = base._compiled
    return copy
