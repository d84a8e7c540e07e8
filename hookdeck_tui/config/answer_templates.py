"""The request-dependent parts of a route's `respond:` and `forward:`: `${...}` in an answer's body and headers,
and a forward target's `when:` condition. Both are compiled once when the config loads, so a mistake is reported
with its place; they may read only what a request has (body, query, header) and the environment."""

from __future__ import annotations

from typing import Any

from hookdeck_tui.conditions import Condition
from hookdeck_tui.config import models as m
from hookdeck_tui.config.yaml_source import KeyPath
from hookdeck_tui.expressions import ExpressionError, Template

_REQUEST_SOURCES = ("body", "query", "header", "env")


def compile_answer_settings(loader: Any, forward: list[m.ForwardTarget], listed: bool, forward_where: KeyPath,
                            respond: Any, respond_where: KeyPath) -> None:
    """Compile each target's `when:` and the answer's templates (once per object: a listener's `respond:` is
    shared by its routes)."""
    for index, target in enumerate(forward):
        if target.when is not None and target._condition is None:
            where = forward_where + ((index,) if listed else ()) + ("when",)
            try:
                target._condition = Condition(target.when, loader.locate(where))
            except ExpressionError as exc:
                loader.error(where, f"{exc.message} (in `{target.when}`)")
                continue
            _check_sources(loader, target._condition.templates(), where)
    if not isinstance(respond, m.RespondConfig) or respond._compiled is not None:
        return
    body = loader.compile(respond.body, respond_where + ("body",)) if respond.body is not None else None
    headers = loader.compile(respond.headers, respond_where + ("headers",)) if respond.headers else None
    templates = [t for value in (body, headers) if value is not None for t in value.templates()]
    if templates:  # only then is the answer rendered per request
        _check_sources(loader, templates, respond_where)
        respond._compiled = (body, headers)


def _check_sources(loader: Any, templates: list[Template], where: KeyPath) -> None:
    for template in templates:
        for ref in template.references():
            if ref.source not in _REQUEST_SOURCES:
                place = template.location.key_path if template.location else where
                loader.error(place, f"`{ref.text}`: `{ref.source}` is not available here (use body, query, header)")
