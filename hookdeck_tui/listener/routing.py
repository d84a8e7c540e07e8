"""Which configured route a request belongs to. Matching is exact on the decoded path (capture listeners match a
prefix); a path that exists under another method is told apart from one that does not exist at all."""

from __future__ import annotations

from dataclasses import dataclass

from hookdeck_tui.config import ListenerConfig, Route


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
