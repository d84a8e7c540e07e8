"""Which configured route a request belongs to. Matching is exact on the decoded path (capture listeners match a
prefix); a path that exists under another method is told apart from one that does not exist at all."""

from __future__ import annotations

from dataclasses import dataclass

from hookdeck_tui.config import ListenerConfig, Route
from hookdeck_tui.config.models import ForwardTarget
from hookdeck_tui.delivery.forward import choose_target
from hookdeck_tui.event_types import event_type, type_matches
from hookdeck_tui.expressions import Unavailable
from hookdeck_tui.listener.evaluation import query_dict, request_scope
from hookdeck_tui.store import CapturedEvent


@dataclass
class RouteMatch:
    route: Route | None
    allowed: tuple[str, ...] = ()  # when the path exists but not for this method

    @property
    def method_not_allowed(self) -> bool:
        return self.route is None and bool(self.allowed)


def match_route(listener: ListenerConfig, method: str, path: str) -> RouteMatch:
    allowed: list[str] = []
    for route in listener.routes:
        if not _path_matches(route, path):
            continue
        if route.methods is None or method in route.methods:
            return RouteMatch(route)
        allowed.extend(route.methods)
    return RouteMatch(None, tuple(dict.fromkeys(allowed)))


def _path_matches(route: Route, path: str) -> bool:
    if route.kind == "capture":
        prefix = route.path.rstrip("/")
        return not prefix or path == prefix or path.startswith(prefix + "/")
    return path == route.path or path.rstrip("/") == route.path.rstrip("/")


def select_target(targets: list[ForwardTarget], event: CapturedEvent,
                  only_types: list[str] | None = None) -> ForwardTarget | None:
    """Where this event is forwarded: by path prefix, then by event type (`events:` globs) and `when:`; None when
    `--events` leaves its type out (it is still captured, as `stripe listen --events` does), noted on the event."""
    if not only_types and not any(t.events is not None or t.when is not None for t in targets):
        return choose_target(targets, event.path)  # no type looked at: nothing parsed
    scope = request_scope(event.body, event.headers, query_dict(event.query))
    try:
        parsed = scope.source("body")
    except Unavailable:
        parsed = None
    kind = event_type(event.headers, event.body, parsed)
    if only_types and not type_matches(kind, only_types):
        event.meta = {**(event.meta or {}), "not_forwarded": f"type {kind or '(none)'} is not in --events "
                                                             f"{','.join(only_types)}"}
        return None

    def admits(target: ForwardTarget) -> bool:
        if target.events is not None and not type_matches(kind, target.events):
            return False
        return target._condition is None or target._condition.holds(scope)

    return choose_target(targets, event.path, admits)
