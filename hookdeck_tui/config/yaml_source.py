"""YAML → plain data plus the position of every key and value, so errors can point at file:line:col."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml

from hookdeck_tui.source_location import SourceLocation

KeyPath = tuple[str | int, ...]

MAX_DEPTH = 200  # a config is a few levels deep; PyYAML's composer (and the checker) recurse once per level
MAX_NODES = 100_000  # values that aliases stand for, each counted as a copy of what it names: a bomb stops here


@dataclass
class ConfigProblem:
    """One thing wrong (or worth a warning) in a config, with where it is."""

    location: SourceLocation
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.location}: {prefix}{self.message}"


@dataclass
class YamlSource:
    """Parsed YAML with a position for every key path (the value's start) and every key itself."""

    file: str
    data: Any
    value_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)

    def locate(self, path: KeyPath, *, key: bool = False) -> SourceLocation:
        """The position of `path`; a path that does not exist points at its nearest existing parent."""
        marks = self.key_marks if key else self.value_marks
        probe = tuple(path)
        while probe and probe not in marks and probe not in self.value_marks:
            probe = probe[:-1]
        line, column = marks.get(probe) or self.value_marks.get(probe, (0, 0))
        return SourceLocation(self.file, line + 1, column + 1, tuple(path))


def load_yaml(text: str, file: str) -> YamlSource:
    """Parse `text`; a YAML syntax error becomes a problem at its position (data is then None)."""
    source = YamlSource(file=file, data=None)
    try:
        node = yaml.compose(text, Loader=_BoundedLoader)
        if node is None:
            source.data = {}
            source.value_marks[()] = (0, 0)
            return source
        # values are built here, so a tag the safe loader refuses (`!!python/object`) is a problem like a syntax one
        source.data = _build(node, (), source, yaml.SafeLoader(""), {})
    except TooLarge as exc:
        source.problems.append(ConfigProblem(SourceLocation(file, exc.line + 1, exc.column + 1), exc.problem))
        source.data = None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line, mark.column) if mark else (0, 0)
        message = " ".join(filter(None, [exc.context, exc.problem]))
        source.problems.append(ConfigProblem(SourceLocation(file, line + 1, column + 1), f"YAML syntax: {message}"))
        source.data = None
    except yaml.YAMLError as exc:
        source.problems.append(ConfigProblem(SourceLocation(file, 1, 1), f"YAML: {exc}"))
        source.data = None
    return source


class _Position(Protocol):
    """Where PyYAML's marks (its pure-Python and its libyaml ones) say something is."""

    line: int
    column: int


class TooLarge(yaml.YAMLError):
    """Nesting or alias expansion past the bounds: refused while composing, before anything is built. `line` and
    `column` count from 0, like PyYAML's marks."""

    def __init__(self, problem: str, mark: _Position | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line, self.column = (mark.line, mark.column) if mark is not None else (0, 0)


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader with two bounds checked as each node is composed, so a hostile file costs little: the
    nesting depth (checked before descending) and how many values aliases stand for (each alias counts as a copy
    of what it names, whose expanded size is known once that node is complete). A big file without aliases is
    bounded by its own size."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._expanded = 0  # values so far, aliases expanded: gives each node its expanded size
        self._by_aliases = 0  # of which aliases stand for: the amplification that is bounded
        self._sizes: dict[int, int] = {}  # id(node) -> its node count with aliases expanded

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # types-PyYAML leaves Parser.peek_event unannotated; it returns the next parser event
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            named = self.anchors.get(event.anchor)
            if named is not None:
                size = self._sizes.get(id(named))
                if size is None:
                    raise TooLarge(f"alias *{event.anchor} is inside the node it names (a loop)", event.start_mark)
                self._expanded += size
                self._by_aliases += size
                if self._by_aliases > MAX_NODES:
                    raise TooLarge(f"alias *{event.anchor} takes the values that aliases stand for past "
                                   f"{MAX_NODES:,} (an alias bomb?)", event.start_mark)
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise TooLarge(f"nested more than {MAX_DEPTH} levels deep; a config never needs that", event.start_mark)
        before = self._expanded
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._expanded += 1
        self._sizes[id(node)] = self._expanded - before
        return node


def _build(node: yaml.Node, path: KeyPath, source: YamlSource, constructor: yaml.SafeLoader,
           built: dict[int, Any]) -> Any:
    """Plain data from a node; a collection named by several aliases is built once and shared."""
    source.value_marks[path] = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and id(node) in built:
        return built[id(node)]
    if isinstance(node, yaml.MappingNode):
        own_keys = {id(key_node) for key_node, _ in node.value}
        constructor.flatten_mapping(node)  # YAML merge keys (`<<: *base`); explicit keys may override them
        result: dict[Any, Any] = {}
        built[id(node)] = result
        explicit: set[Any] = set()
        for key_node, value_node in node.value:
            key = _key_text(_construct(constructor, key_node))
            child = path + (key,)
            if id(key_node) in own_keys:
                if key in explicit:
                    line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    source.problems.append(ConfigProblem(SourceLocation(source.file, line, column, child),
                                                         f"duplicate key `{key}` (the later one would win)"))
                explicit.add(key)
            source.key_marks[child] = (key_node.start_mark.line, key_node.start_mark.column)
            result[key] = _build(value_node, child, source, constructor, built)
        return result
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = built.setdefault(id(node), [])
        items.extend(_build(item, path + (index,), source, constructor, built) for index, item in enumerate(node.value))
        return items
    return _construct(constructor, node)


def _construct(constructor: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return constructor.construct_object(node, deep=True)
    except ValueError as exc:  # an integer past Python's 4,300-digit conversion limit
        raise TooLarge(f"cannot read this value: {str(exc).split(';')[0]}", node.start_mark) from exc


def _key_text(key: Any) -> str:
    """Mapping keys are names: YAML's `8090:` or `on:` become the text "8090" / "true"."""
    if isinstance(key, bool):
        return str(key).lower()
    return key if isinstance(key, str) else str(key)
