"""YAML → plain data plus the position of every key and value, so errors can point at file:line:col."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from hookdeck_tui.source_location import SourceLocation

KeyPath = tuple[str | int, ...]


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
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            source.data = {}
            source.value_marks[()] = (0, 0)
            return source
        # values are built here, so a tag the safe loader refuses (`!!python/object`) is a problem like a syntax one
        source.data = _build(node, (), source, yaml.SafeLoader(""))
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


def _build(node: yaml.Node, path: KeyPath, source: YamlSource, constructor: yaml.SafeLoader) -> Any:
    source.value_marks[path] = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.MappingNode):
        own_keys = {id(key_node) for key_node, _ in node.value}
        constructor.flatten_mapping(node)  # YAML merge keys (`<<: *base`); explicit keys may override them
        result: dict[Any, Any] = {}
        explicit: set[Any] = set()
        for key_node, value_node in node.value:
            key = _key_text(constructor.construct_object(key_node, deep=True))
            child = path + (key,)
            if id(key_node) in own_keys:
                if key in explicit:
                    line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    source.problems.append(ConfigProblem(SourceLocation(source.file, line, column, child),
                                                         f"duplicate key `{key}` (the later one would win)"))
                explicit.add(key)
            source.key_marks[child] = (key_node.start_mark.line, key_node.start_mark.column)
            result[key] = _build(value_node, child, source, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (index,), source, constructor) for index, item in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)


def _key_text(key: Any) -> str:
    """Mapping keys are names: YAML's `8090:` or `on:` become the text "8090" / "true"."""
    if isinstance(key, bool):
        return str(key).lower()
    return key if isinstance(key, str) else str(key)
