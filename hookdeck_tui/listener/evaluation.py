"""Evaluating a route's expressions against one request: the callback's key/status/result (each item when bulk)
or the trigger's input. Errors are per event — they are recorded and answered, never raised into the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from hookdeck_tui.bounds import TooDeep, larger_than, loads_bounded
from hookdeck_tui.config import Route
from hookdeck_tui.expressions import ExpressionError, Scope, Unavailable


class BodyNotParsed(Exception):
    pass


class BodyTooDeep(BodyNotParsed):
    """JSON nested deeper than bounds.MAX_DEPTH: its values are not read (the body itself is still captured)."""


def parse_body(body: bytes, content_type: str) -> Any:
    """JSON when it parses; form data when it is a form (or looks like one); otherwise an error saying which."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return _form(body)
    try:
        return loads_bounded(body)
    except TooDeep as exc:
        raise BodyTooDeep(str(exc)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        if kind in ("", "text/plain") and b"=" in body and b"{" not in body[:1]:
            try:
                return _form(body)
            except UnicodeDecodeError:
                pass
        raise BodyNotParsed(f"the body is not JSON ({exc}) or form data (Content-Type: {kind or 'none'})") from exc


def json_content_type(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def unsigned_trigger_refusal(headers: list[tuple[str, str]], signature_status: str) -> str | None:
    """Why a trigger route will not start a run for this request, or None. A web page open in the developer's
    browser can POST `text/plain` or a form to 127.0.0.1 without asking first (no CORS preflight), but not a JSON
    Content-Type. So an unsigned request must say it is JSON; a sender whose signature checks out may send
    whatever it signs (forms, text). Callback routes stay lenient: a run waits on a key a page cannot guess."""
    if signature_status == "valid":
        return None
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    if json_content_type(content_type):
        return None
    return (f"rejected: Content-Type {content_type.split(';')[0].strip() or '(none)'} on a trigger route; send "
            "application/json, or configure `verify` so that a signed sender may send other types")


def _form(body: bytes) -> dict[str, Any]:
    pairs = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in pairs.items()}


def query_dict(query: str) -> dict[str, Any]:
    """The query string as `${query.…}` sees it: one value as text, a repeated one as a list."""
    return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(query, keep_blank_values=True).items()}


def request_scope(body: bytes, headers: list[tuple[str, str]], query: dict[str, Any]) -> Scope:
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    first: dict[str, str] = {}
    for name, value in headers:
        first.setdefault(name, value)
    return Scope({"body": lambda: parse_body(body, content_type), "raw_body": body, "header": first, "query": query})


@dataclass
class CallbackItem:
    key: Any
    status: Any
    outcome: str  # success | failed | progress
    result: Any

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "status": self.status, "outcome": self.outcome, "result": self.result}


@dataclass
class Evaluation:
    items: list[dict[str, Any]] = field(default_factory=list)  # callback items, or trigger inputs
    error: str | None = None


def evaluate_callback(route: Route, scope: Scope) -> Evaluation:
    spec = route.spec
    try:
        items = _items(spec, scope)
        out = []
        for item_scope in items:
            key = spec.identify_by.render(item_scope)
            status = spec.status.render(item_scope) if spec.status is not None else None
            result = spec.result.render(item_scope) if spec.result is not None else _whole_body(item_scope)
            out.append(CallbackItem(key, status, _outcome(spec, status), result).to_json())
        _bounded(spec, scope, out)
        return Evaluation(out)
    except ExpressionError as exc:
        return Evaluation(error=str(exc))


def evaluate_trigger(route: Route, scope: Scope) -> Evaluation:
    spec = route.spec
    try:
        inputs = [spec.input.render(s) if spec.input is not None else _whole_body(s) for s in _items(spec, scope)]
        out = [{"workflow": spec.workflow, "input": value} for value in inputs]
        _bounded(spec, scope, out)
        return Evaluation(out)
    except ExpressionError as exc:
        return Evaluation(error=str(exc))


def _bounded(spec: Any, scope: Scope, items: list[dict[str, Any]]) -> None:
    """A bulk route's items together may hold at most about twice the body (plus 64 KiB): items that each copy
    the whole body would multiply it by their number. (A single item's values come from one body through the
    config's own expressions, so they are bounded by it; their depth is bounded when the body is parsed.)"""
    if not spec.bulk:
        return
    budget = 2 * len(scope.source("raw_body")) + 64 * 1024
    if larger_than(items, budget):
        raise ExpressionError(f"the {len(items)} items of this bulk body would take more than {budget} bytes "
                              f"(each may take its own part of the body, not all of it)")


def _whole_body(scope: Scope) -> Any:
    """The default `result`/`input`: the parsed body, or its text when it is neither JSON nor a form (a body too
    deep to read is an error, not text)."""
    try:
        return scope.source("body")
    except Unavailable as exc:
        if isinstance(exc.__cause__, BodyTooDeep):
            raise
        return scope.source("raw_body").decode("utf-8", "replace")


def _items(spec: Any, scope: Scope) -> list[Scope]:
    if not spec.bulk:
        return [scope]
    items = spec.item.render(scope)
    if not isinstance(items, list):
        shown = "nothing" if items is None else type(items).__name__
        raise ExpressionError(f"`item:` must give a list for a bulk route, but it gave {shown}", spec.item.raw
                              if isinstance(spec.item.raw, str) else None)
    return [scope.with_sources(item=item) for item in items]


def _outcome(spec: Any, status: Any) -> str:
    if spec.status is None:
        return "success"
    if spec.success_when is not None and status in spec.success_when:
        return "success"
    if spec.fail_when is not None and status in spec.fail_when:
        return "failed"
    if spec.success_when is None and spec.fail_when is None:
        return "success"
    return "progress"
