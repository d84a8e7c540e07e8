"""The `${...}` expression language of the config.

Templates are parsed once, when the config loads (so `hooktui check` reports syntax errors with their
location), and rendered many times against a `Scope`. There is no `eval`: a small recursive-descent
parser builds a tree of nodes, and only the operations below exist.

    ${body.task_id}                      a path: source, then `.key`, `[index]` (negative allowed), `["key"]`
    ${header.X-Request-Id}               `-` inside a name is part of the name
    ${input.size | "1024x1024"}          default when the left side is null or unavailable (chains, nests)
    ${output.a - output.b}               `+ - * /` on numbers (spaces around a binary `-`)
    "Done: ${jobs.x.output.result}"      embedded expressions are stringified; a lone one keeps its type
    $${literal}                          `$${` escapes a literal `${`
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hookdeck_tui.source_location import SourceLocation

SOURCES = (
    "body", "query", "header", "item", "input", "output", "result", "response",
    "jobs", "context", "env", "gateway",
)
_MAX_DEPTH = 64
_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_GATEWAY = re.compile(r"gateway:(\d+)")
_MISSING = object()


class ExpressionError(Exception):
    """Any problem with an expression: it names the expression and, when known, where it came from."""

    def __init__(self, message: str, expression: str | None = None,
                 location: SourceLocation | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.location = location

    def __str__(self) -> str:
        text = self.message
        if self.expression is not None:
            shown = self.expression if len(self.expression) <= 80 else self.expression[:77] + "..."
            text += f" (in `{shown}`)"
        if self.location is not None:
            text = f"{self.location}: {text}"
        return text


class Unavailable(ExpressionError):
    """A source that cannot give a value here (no such gateway, body not parseable); `|` defaults catch it."""


class Environment(dict[str, str]):
    """The process environment as `${env.NAME}` sees it: an unset name is Unavailable — an error that names it,
    unless a `|` default applies — never a silent empty string."""

    def __contains__(self, key: object) -> bool:
        if not dict.__contains__(self, key):
            raise Unavailable(f"environment variable {key} is not set")
        return True


class Scope:
    """The values an expression can read. A source may be a value or a zero-argument callable (read lazily,
    once), `header` is matched case-insensitively, `env` defaults to the process environment, and
    `gateway:<port>` asks `gateway_resolver(port)`."""

    def __init__(self, sources: Mapping[str, Any] | None = None, *,
                 gateway_resolver: Callable[[int], Mapping[str, Any] | None] | None = None) -> None:
        self._sources = dict(sources or {})
        self._resolved: dict[str, Any] = {}
        self._gateway_resolver = gateway_resolver

    def with_sources(self, **extra: Any) -> Scope:
        """A child scope: the same sources plus (or overriding) `extra`, e.g. `item` inside a bulk loop."""
        child = Scope({**self._sources, **extra}, gateway_resolver=self._gateway_resolver)
        child._resolved = {k: v for k, v in self._resolved.items() if k not in extra}
        return child

    def source(self, name: str, port: int | None = None) -> Any:
        if name == "gateway":
            if self._gateway_resolver is None:
                raise Unavailable(f"no gateway on port {port}: tunnels are not running here")
            if port is None:
                raise Unavailable("`gateway` needs a port (`${gateway:8090.public_url}`)")
            gateway = self._gateway_resolver(port)
            if gateway is None:
                raise Unavailable(f"no gateway is configured on port {port}")
            return gateway
        if name in self._resolved:
            return self._resolved[name]
        if name not in self._sources:
            if name == "env":
                value: Any = Environment(os.environ)
            else:
                raise Unavailable(f"`{name}` is not available here")
        else:
            value = self._sources[name]
            if callable(value) and not isinstance(value, Mapping):
                try:
                    value = value()
                except ExpressionError:
                    raise
                except Exception as exc:  # a lazy source failed (e.g. body is not JSON): say so
                    raise Unavailable(f"`{name}` could not be read: {exc}") from exc
        if name == "header" and isinstance(value, Mapping):
            value = _CaseInsensitive(value)
        self._resolved[name] = value
        return value


class _CaseInsensitive(Mapping[str, Any]):
    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = {str(k).lower(): v for k, v in data.items()}

    def __getitem__(self, key: str) -> Any:
        return self._data[str(key).lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


# --- the tree -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Literal:
    value: Any

    def evaluate(self, scope: Scope) -> Any:
        return self.value

    def paths(self) -> list[_Path]:
        return []


@dataclass(frozen=True)
class _Path:
    source: str
    keys: tuple[str | int, ...]
    port: int | None = None
    text: str = ""

    def evaluate(self, scope: Scope) -> Any:
        value = scope.source(self.source, self.port)
        for key in self.keys:
            value = _step(value, key)
            if value is _MISSING:
                return None
        return value

    def paths(self) -> list[_Path]:
        return [self]


@dataclass(frozen=True)
class _Default:
    options: tuple[_Node, ...]

    def evaluate(self, scope: Scope) -> Any:
        for option in self.options[:-1]:
            try:
                value = option.evaluate(scope)
            except Unavailable:
                continue
            if value is not None:
                return value
        return self.options[-1].evaluate(scope)

    def paths(self) -> list[_Path]:
        return [p for option in self.options for p in option.paths()]


@dataclass(frozen=True)
class _Arithmetic:
    operator: str
    left: _Node
    right: _Node

    def evaluate(self, scope: Scope) -> Any:
        left = _number(self.left, scope)
        right = _number(self.right, scope)
        try:
            result = self._apply(left, right)
        except (OverflowError, ValueError) as exc:  # e.g. an int too large to mix with a float
            raise ExpressionError(f"arithmetic overflow: {exc}") from exc
        if isinstance(result, int) and result.bit_length() > _MAX_INT_BITS:
            raise ExpressionError(f"arithmetic overflow: the result has more than {_MAX_INT_DIGITS:,} digits "
                                  "(it could not be stored or shown)")
        return result

    def _apply(self, left: int | float, right: int | float) -> int | float:
        if self.operator == "+":
            return left + right
        if self.operator == "-":
            return left - right
        if self.operator == "*":
            return left * right
        if right == 0:
            raise ExpressionError("division by zero")
        if isinstance(left, int) and isinstance(right, int) and left % right == 0:
            return left // right
        return left / right

    def paths(self) -> list[_Path]:
        return self.left.paths() + self.right.paths()


_MAX_INT_DIGITS = 4000  # under Python's 4,300-digit limit on int <-> text: past it, JSON cannot hold the value
_MAX_INT_BITS = int(_MAX_INT_DIGITS * 3.3219)  # log2(10): a bound on bits that needs no conversion to check


@dataclass(frozen=True)
class _Negate:
    operand: _Node

    def evaluate(self, scope: Scope) -> Any:
        return -_number(self.operand, scope)

    def paths(self) -> list[_Path]:
        return self.operand.paths()


_Node = _Literal | _Path | _Default | _Arithmetic | _Negate  # an expression's parsed tree


def _number(node: _Node, scope: Scope) -> int | float:
    value = node.evaluate(scope)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        what = f"`{node.text}`" if isinstance(node, _Path) else "an operand"
        shown = "null (missing)" if value is None else f"{type(value).__name__} {_short(value)}"
        raise ExpressionError(f"arithmetic needs numbers, but {what} is {shown}")
    return value


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _step(value: Any, key: str | int) -> Any:
    if isinstance(value, Mapping):
        try:
            return value[key] if key in value else (value.get(str(key), _MISSING))
        except (KeyError, TypeError):
            return _MISSING
    if isinstance(value, (list, tuple)):
        index = key if isinstance(key, int) else (int(key) if str(key).lstrip("-").isdigit() else None)
        if index is None or not -len(value) <= index < len(value):
            return _MISSING
        return value[index]
    return _MISSING


# --- the parser -----------------------------------------------------------------------------------------

class _Parser:
    """Parses one `${...}` starting just after `${`; `end` is left just after the closing `}`."""

    def __init__(self, text: str, position: int, depth: int = 0) -> None:
        self.text = text
        self.pos = position
        self.depth = depth

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"{message} at character {self.pos + 1}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse_braced(self) -> _Node:
        node = self.expression()
        self.skip_space()
        if self.peek() != "}":
            found = f"`{self.peek()}`" if self.peek() else "the end of the text"
            raise self.error(f"expected `}}` but found {found}")
        self.pos += 1
        return node

    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.error("expression nested too deeply")

    def expression(self) -> _Node:
        self.enter()
        options = [self.additive()]
        while True:
            self.skip_space()
            if self.peek() != "|":
                break
            self.pos += 1
            options.append(self.additive())
        self.depth -= 1
        return options[0] if len(options) == 1 else _Default(tuple(options))

    def additive(self) -> _Node:
        return self.binary(self.term, "+-")

    def term(self) -> _Node:
        return self.binary(self.unary, "*/")

    def binary(self, operand: Callable[[], _Node], operators: str) -> _Node:
        """Left-associative chain `operand (op operand)*` for one precedence level."""
        node = operand()
        while True:
            self.skip_space()
            operator = self.peek()
            if not operator or operator not in operators:
                return node
            self.pos += 1
            node = _Arithmetic(operator, node, operand())

    def unary(self) -> _Node:
        self.skip_space()
        if self.peek() == "-":
            self.pos += 1
            self.enter()
            node = _Negate(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> _Node:
        self.skip_space()
        char = self.peek()
        if not char:
            raise self.error("expected a value but the expression ended")
        if char == "(":
            self.pos += 1
            node = self.expression()
            self.skip_space()
            if self.peek() != ")":
                raise self.error("expected `)`")
            self.pos += 1
            return node
        if self.text.startswith("${", self.pos):
            self.pos += 2
            inner = _Parser(self.text, self.pos, self.depth + 1)
            if inner.depth > _MAX_DEPTH:
                raise self.error("expression nested too deeply")
            node = inner.parse_braced()
            self.pos = inner.pos
            return node
        if char in "\"'":
            return _Literal(self.string(char))
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            raw = number.group()
            try:
                return _Literal(float(raw) if any(c in raw for c in ".eE") else int(raw))
            except ValueError as exc:  # more digits than Python converts
                raise self.error(f"number too long ({len(raw)} digits)") from exc
        return self.path()

    def string(self, quote: str) -> str:
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == quote:
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.error("unterminated string")

    def path(self) -> _Node:
        start = self.pos
        gateway = _GATEWAY.match(self.text, self.pos)
        port = None
        if gateway:
            source = "gateway"
            port = int(gateway.group(1))
            self.pos = gateway.end()
        else:
            name = _NAME.match(self.text, self.pos)
            if not name:
                raise self.error(f"unexpected `{self.peek()}`")
            source = name.group()
            self.pos = name.end()
            if source in ("true", "false", "null"):
                return _Literal({"true": True, "false": False, "null": None}[source])
            if source == "gateway":
                raise self.error("a gateway is named by its port: `gateway:<port>.public_url`")
            if source not in SOURCES:
                raise ExpressionError(
                    f"unknown source `{source}` (expected one of: {', '.join(SOURCES[:-1])}, gateway:<port>)")
        keys: list[str | int] = []
        while True:
            char = self.peek()
            if char == ".":
                self.pos += 1
                name = _NAME.match(self.text, self.pos)
                if not name:
                    raise self.error("expected a name after `.`")
                keys.append(name.group())
                self.pos = name.end()
            elif char == "[":
                self.pos += 1
                self.skip_space()
                if self.peek() in "\"'" and self.peek():
                    keys.append(self.string(self.peek()))
                else:
                    index = re.compile(r"-?\d+").match(self.text, self.pos)
                    if not index:
                        raise self.error("expected an integer index or a quoted key in `[...]`")
                    keys.append(int(index.group()))
                    self.pos = index.end()
                self.skip_space()
                if self.peek() != "]":
                    raise self.error("expected `]`")
                self.pos += 1
            else:
                break
        return _Path(source, tuple(keys), port, self.text[start:self.pos])


# --- templates ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PathReference:
    """A path an expression reads, e.g. `jobs.generate.output` → source "jobs", keys ("generate", "output")."""

    source: str
    keys: tuple[str | int, ...]
    port: int | None
    text: str


class Template:
    """A string that may hold `${...}` expressions. Render it against a `Scope`."""

    __slots__ = ("_parts", "_single", "location", "text")

    def __init__(self, text: str, location: SourceLocation | None = None) -> None:
        self.text = text
        self.location = location
        self._parts: list[str | tuple[str, _Node]] = []
        try:
            self._parse()
        except ExpressionError as exc:
            exc.expression = exc.expression or text
            exc.location = exc.location or location
            raise
        only = self._parts[0] if len(self._parts) == 1 else None
        self._single = only if isinstance(only, tuple) else None  # the text is one expression

    def _parse(self) -> None:
        text = self.text
        pos = 0
        for start, end, node in expression_spans(text):
            if start > pos:
                self._parts.append(text[pos:start].replace("$${", "${"))
            self._parts.append((text[start:end], node))
            pos = end
        if pos < len(text):
            self._parts.append(text[pos:].replace("$${", "${"))

    @property
    def is_literal(self) -> bool:
        return all(isinstance(part, str) for part in self._parts)

    def references(self) -> list[PathReference]:
        return [PathReference(p.source, p.keys, p.port, p.text)
                for part in self._parts if isinstance(part, tuple) for p in part[1].paths()]

    def render(self, scope: Scope) -> Any:
        """A lone expression keeps the value's type; otherwise the parts are joined as text."""
        if self._single is not None:
            return self._evaluate(self._single, scope)
        out = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
                continue
            try:
                out.append(stringify(self._evaluate(part, scope)))
            except ValueError as exc:  # e.g. an int with more digits than Python prints
                raise ExpressionError(f"value cannot be shown as text: {exc}", part[0], self.location) from exc
        return "".join(out)

    def _evaluate(self, part: tuple[str, _Node], scope: Scope) -> Any:
        source, node = part
        try:
            return node.evaluate(scope)
        except ExpressionError as exc:
            exc.expression = exc.expression or source
            exc.location = exc.location or self.location
            raise
        except RecursionError as exc:  # pathological data, not pathological syntax: still our error
            raise ExpressionError("value nested too deeply", source, self.location) from exc

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def expression_spans(text: str) -> list[tuple[int, int, _Node]]:
    """Where each `${...}` is in `text` (start, end, parsed node); `$${` is an escape, not an expression."""
    spans = []
    pos = 0
    while pos < len(text):
        if text.startswith("$${", pos):
            pos += 3
        elif text.startswith("${", pos):
            parser = _Parser(text, pos + 2)
            node = parser.parse_braced()
            spans.append((pos, parser.pos, node))
            pos = parser.pos
        else:
            pos += 1
    return spans


def stringify(value: Any) -> str:
    """How a value reads when embedded in text: JSON for structures and booleans, '' for null."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (bool, dict, list, tuple, Mapping)):
        return json.dumps(value if not isinstance(value, Mapping) else dict(value),
                          ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


class CompiledValue:
    """A config value (scalar, mapping or list) whose strings are templates; renders to plain data."""

    __slots__ = ("_tree",)

    def __init__(self, tree: Any) -> None:
        self._tree = tree

    def render(self, scope: Scope) -> Any:
        return _render_tree(self._tree, scope)

    def templates(self) -> list[Template]:
        found: list[Template] = []
        _collect(self._tree, found)
        return found

    def references(self) -> list[PathReference]:
        return [ref for template in self.templates() for ref in template.references()]

    @property
    def raw(self) -> Any:
        return _raw_tree(self._tree)

    def __repr__(self) -> str:
        return f"CompiledValue({self.raw!r})"


def compile_value(value: Any, locate: Callable[[tuple[str | int, ...]], SourceLocation | None] | None = None,
                  path: tuple[str | int, ...] = ()) -> CompiledValue:
    """Compile every string inside `value`; `locate(path)` gives each string's config location."""

    def walk(node: Any, here: tuple[str | int, ...]) -> Any:
        if isinstance(node, str):
            template = Template(node, locate(here) if locate else None)
            return node if template.is_literal and "$${" not in node else template
        if isinstance(node, dict):
            return {key: walk(item, here + (key,)) for key, item in node.items()}
        if isinstance(node, list):
            return [walk(item, here + (index,)) for index, item in enumerate(node)]
        return node

    return CompiledValue(walk(value, path))


def _render_tree(node: Any, scope: Scope) -> Any:
    if isinstance(node, Template):
        return node.render(scope)
    if isinstance(node, dict):
        return {key: _render_tree(item, scope) for key, item in node.items()}
    if isinstance(node, list):
        return [_render_tree(item, scope) for item in node]
    return node


def _raw_tree(node: Any) -> Any:
    if isinstance(node, Template):
        return node.text
    if isinstance(node, dict):
        return {key: _raw_tree(item) for key, item in node.items()}
    if isinstance(node, list):
        return [_raw_tree(item) for item in node]
    return node


def _collect(node: Any, found: list[Template]) -> None:
    if isinstance(node, Template):
        found.append(node)
    elif isinstance(node, dict):
        for item in node.values():
            _collect(item, found)
    elif isinstance(node, list):
        for item in node:
            _collect(item, found)


def render(text: str, scope: Scope) -> Any:
    """One-off convenience: compile and render `text`."""
    return Template(text).render(scope)
