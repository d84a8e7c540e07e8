"""Load a config file: YAML → validated models → a normalized `Config`, or every problem with file:line:col.

The checker never stops at the first problem: `hooktui check` prints all of them. Unset `${env.NAME}` values are
warnings at load time (they only matter when the value is used); everything structural is an error.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from hookdeck_tui.config import models as m
from hookdeck_tui.config.answer_templates import compile_answer_settings
from hookdeck_tui.config.command_line import split_command
from hookdeck_tui.config.yaml_source import ConfigProblem, KeyPath, YamlSource, load_yaml
from hookdeck_tui.expressions import (
    CompiledValue,
    Environment,
    ExpressionError,
    Scope,
    Template,
    Unavailable,
    compile_value,
)
from hookdeck_tui.signatures import SCHEME_NAMES, SECRET_ENV, SchemeError, SchemeOptions, canonical_name, get_scheme
from hookdeck_tui.signatures.secrets import Secret, candidates, unresolved_reference
from hookdeck_tui.source_location import SourceLocation, format_key_path

_Model = TypeVar("_Model", bound=BaseModel)
DEFAULT_FILE_NAMES = ("hooktui.yaml", "hooktui.yml")
BUILTIN_LABEL = "<built-in default>"
BUILTIN_DEFAULT_YAML = """\
# hooktui's built-in default: capture every request on 127.0.0.1:8090 and answer 200 {"received": true}.
listener:
  type: capture
  host: 127.0.0.1
  port: 8090
  respond:
    status: 200
    body: {received: true}
"""
BUILTIN_COMPONENTS = ("logger",)
TOP_LEVEL_KEYS = ("listener", "listeners", "gateway", "gateways", "components", "workflow", "workflows",
                  "controller", "loggers", "store")
_UNUSED_TOP_LEVEL = ("controller", "loggers")
_ROUTE_TEMPLATE_KEYS = {"identify_by", "status", "result", "item", "input"}
_COMPONENT_TEMPLATE_KEYS = {"base_url", "endpoint", "url", "path", "headers", "params", "body", "output",
                            "completion", "level", "message", "data", "command", "args", "env", "cwd"}
_JOB_TEMPLATE_KEYS = {"input", "output", "component"}
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_ALL_KEYS = sorted({name for model in (m.CallbackListener, m.TriggerListener, m.CaptureListener, m.CallbackRoute,
                                       m.TriggerRoute, m.HttpTunnelGateway, m.SshTunnelGateway, m.SshConnection,
                                       m.SshAuth, m.HttpClientComponent, m.LoggerComponent, m.ShellComponent,
                                       m.Completion, m.Job, m.Workflow, m.Retry, m.VerifyConfig, m.ForwardTarget,
                                       m.RespondConfig)
                    for name in model.model_fields} | set(TOP_LEVEL_KEYS))


class ConfigError(Exception):
    """The config cannot be used; `problems` has each error (and warning) with its location."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in errors) or "invalid config")


@dataclass
class Route:
    """One endpoint of a listener, normalized: full path, effective verify/forward/respond, compiled templates."""

    kind: str  # "callback" | "trigger" | "capture"
    path: str
    methods: tuple[str, ...] | None  # None: any method
    spec: Any  # CallbackSpec | TriggerSpec | CaptureListener; its template fields hold CompiledValue
    verify: m.VerifyConfig | None
    forward: list[m.ForwardTarget]
    respond: m.RespondConfig | str
    key_path: KeyPath
    secrets: list[Secret] = field(default_factory=list)  # verify's usable secrets, each named by its place
    unset_secrets: list[tuple[str, str]] = field(default_factory=list)  # (`${env.NAME}`, file:line) of unset ones
    verify_place: str = ""  # file:line of its `verify:`, for start-up warnings

    @property
    def label(self) -> str:
        methods = ",".join(self.methods) if self.methods else "*"
        target = f" → {self.spec.workflow}" if self.kind == "trigger" else ""
        return f"{self.kind} {methods} {self.path}{target}"


@dataclass
class ListenerConfig:
    type: str
    host: str
    port: int
    base_path: str
    max_concurrent_count: int
    max_body_size: int
    routes: list[Route]
    model: m.Listener
    key_path: KeyPath


@dataclass
class WorkflowConfig:
    id: str
    model: m.Workflow
    key_path: KeyPath

    def all_jobs(self) -> list[m.Job]:
        """Every job including `on_error` fallbacks, depth first."""
        found: list[m.Job] = []

        def walk(jobs: Iterable[m.Job]) -> None:
            for job in jobs:
                found.append(job)
                walk(job.on_error or [])

        walk(self.model.jobs)
        return found


@dataclass
class Config:
    source: str
    listeners: list[ListenerConfig] = field(default_factory=list)
    gateways: list[m.HttpTunnelGateway | m.SshTunnelGateway] = field(default_factory=list)
    components: dict[str, m.Component] = field(default_factory=dict)
    workflows: dict[str, WorkflowConfig] = field(default_factory=dict)
    warnings: list[ConfigProblem] = field(default_factory=list)
    store: m.StoreSettings | None = None  # retention; None keeps everything

    @property
    def is_builtin_default(self) -> bool:
        return self.source == BUILTIN_LABEL

    def unset_secret_warnings(self, given: Iterable[str] = ()) -> list[str]:
        """One line per `${env.NAME}` secret whose variable is not set, and per route that verifies a scheme with no
        secret from anywhere (its own, `given` — the command line's —, $HOOKTUI_SECRET, the provider's variable:
        e.g. the variable was exported in another terminal, or set empty). Such routes' events stay `unchecked`."""
        lines: dict[str, None] = {}
        given = list(given)
        for listener in self.listeners:
            for route in listener.routes:
                for reference, place in route.unset_secrets:
                    lines[f"warning: {place}: secret {reference} is not set: events verified with it stay "
                          f"`unchecked` until it is"] = None
                verify = route.verify
                if verify is None or not verify.scheme or route.unset_secrets:
                    continue
                scheme = canonical_name(verify.scheme)
                if not candidates(scheme, route.secrets, given):
                    variable = SECRET_ENV.get(scheme)
                    where = f"${variable} (set, and not empty), " if variable else ""
                    lines[f"warning: {route.verify_place}: `{route.label}` verifies {scheme} but has no secret: "
                          f"give it {where}verify.secret or --secret; until then its events stay `unchecked`"] = None
        return list(lines)

    def summary(self) -> str:
        routes = sum(len(listener.routes) for listener in self.listeners)
        parts = [f"{len(self.listeners)} listener(s) with {routes} route(s)", f"{len(self.gateways)} gateway(s)",
                 f"{len(self.components)} component(s)", f"{len(self.workflows)} workflow(s)"]
        if self.warnings:
            parts.append(f"{len(self.warnings)} warning(s)")
        return ", ".join(parts)


def find_config_file(explicit: str | None, cwd: Path | None = None) -> Path | None:
    """`-c FILE` wins; else ./hooktui.yaml (or .yml) when present; else None (the built-in default)."""
    if explicit:
        return Path(explicit)
    here = cwd or Path.cwd()
    for name in DEFAULT_FILE_NAMES:
        if (here / name).is_file():
            return here / name
    return None


def load_config(explicit: str | None = None, cwd: Path | None = None) -> Config:
    """The config the CLI uses. Raises ConfigError (with locations) or OSError for an unreadable file."""
    path = find_config_file(explicit, cwd)
    if path is None:
        return parse_config(BUILTIN_DEFAULT_YAML, BUILTIN_LABEL)
    return parse_config(path.read_text(encoding="utf-8"), str(path))


def parse_config(text: str, file: str) -> Config:
    config, problems = check_config_text(text, file)
    if config is None:
        raise ConfigError(problems)
    return config


def check_config_text(text: str, file: str) -> tuple[Config | None, list[ConfigProblem]]:
    """Every problem in `text`, errors and warnings; the Config when there is no error."""
    source = load_yaml(text, file)
    checker = _Checker(source)
    if not source.problems or source.data is not None:
        checker.run()
    problems = sorted(source.problems + checker.problems,
                      key=lambda p: (p.location.line, p.location.column, p.severity))
    if any(p.severity == "error" for p in problems):
        return None, problems
    checker.config.warnings = problems
    return checker.config, problems


# --- the checker ----------------------------------------------------------------------------------------

class _Checker:
    def __init__(self, source: YamlSource) -> None:
        self.source = source
        self.problems: list[ConfigProblem] = []
        self.config = Config(source=source.file)
        self.env_scope = Scope({"env": Environment(os.environ)})
        self._compiled: list[tuple[CompiledValue, KeyPath]] = []
        self._gateway_paths: list[KeyPath] = []
        self._broken_components: set[str] = set()  # defined but invalid: already reported, don't cascade
        self._job_paths: dict[int, KeyPath] = {}  # where each job (by identity) is in the file

    # problems
    def error(self, path: KeyPath, message: str, *, key: bool = False) -> None:
        self.problems.append(ConfigProblem(self.source.locate(path, key=key), message))

    def warn(self, path: KeyPath, message: str, *, key: bool = False) -> None:
        self.problems.append(ConfigProblem(self.source.locate(path, key=key), message, "warning"))

    def locate(self, path: KeyPath) -> SourceLocation:
        return self.source.locate(path)

    # the whole file
    def run(self) -> None:
        data = self.source.data
        if not isinstance(data, dict):
            self.error((), f"a config is a mapping of sections ({', '.join(TOP_LEVEL_KEYS[:7])}), "
                           f"not {_kind(data)}")
            return
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                self.error((key,), f"unknown section `{key}`{_did_you_mean(key, TOP_LEVEL_KEYS)}", key=True)
            elif key in _UNUSED_TOP_LEVEL:
                self.warn((key,), f"`{key}` is accepted for model-compose compatibility but hooktui does not use it",
                          key=True)
        gateway_ports = self.gateways(self._one_or_many(data, "gateway", "gateways"))
        self.components(data.get("components"))
        workflows = self._workflow_entries(data)
        workflow_ids = {wid for wid, _, _ in workflows}
        self.listeners(self._one_or_many(data, "listener", "listeners"), workflow_ids)
        for wid, raw, path in workflows:
            self.workflow(wid, raw, path)
        self.check_references(gateway_ports)
        if data.get("store") is not None:
            self.config.store = self.model(m.StoreSettings, self.substitute_env(data["store"], ("store",)), ("store",))
        listener_ports = {listener.port for listener in self.config.listeners}
        for index, gateway in enumerate(self.config.gateways):
            if gateway.port not in listener_ports:
                self.warn(self._gateway_paths[index] + ("port",),
                          f"no listener of this config is on port {gateway.port}: the tunnel exposes whatever "
                          f"else listens there (your own app, perhaps)")

    def _one_or_many(self, data: dict[str, Any], single: str, plural: str) -> list[tuple[Any, KeyPath]]:
        if single in data and plural in data:
            self.error((plural,), f"use either `{single}:` or `{plural}:`, not both", key=True)
        entries: list[tuple[Any, KeyPath]] = []
        if data.get(single) is not None:
            entries.append((data[single], (single,)))
        if plural in data and data[plural] is not None:
            items = data[plural]
            if not isinstance(items, list):
                self.error((plural,), f"`{plural}` is a list (`- type: ...` entries), not {_kind(items)}")
            else:
                entries.extend((item, (plural, index)) for index, item in enumerate(items))
        return entries

    # substitution of ${env.X} in plain (non-template) values
    def substitute_env(self, value: Any, path: KeyPath, skip: AbstractSet[str] = frozenset()) -> Any:
        if isinstance(value, dict):
            return {k: (v if k in skip else self.substitute_env(v, path + (k,))) for k, v in value.items()}
        if isinstance(value, list):
            return [self.substitute_env(v, path + (i,)) for i, v in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value
        try:
            template = Template(value, self.locate(path))
        except ExpressionError as exc:
            self.error(path, f"{exc.message} (in `{value}`)")
            return value
        if not template.references() or any(ref.source != "env" for ref in template.references()):
            return value
        try:
            return template.render(self.env_scope)
        except Unavailable as exc:
            self.warn(path, f"{exc.message}; `{value}` stays unresolved until it is set")
            return value
        except ExpressionError as exc:
            self.error(path, f"{exc.message} (in `{value}`)")
            return value

    def compile(self, value: Any, path: KeyPath) -> CompiledValue | None:
        """Compile a template field; an absent field stays None, so its default applies."""
        if value is None:
            return None
        try:
            compiled = compile_value(value, self.locate, path)
        except ExpressionError as exc:
            where = exc.location.key_path if exc.location else path
            self.error(where, f"{exc.message} (in `{exc.expression}`)")
            return None
        for template in compiled.templates():
            for ref in template.references():
                if ref.source == "env" and ref.keys and str(ref.keys[0]) not in os.environ and "|" not in template.text:
                    self.warn(template.location.key_path if template.location else path,
                              f"environment variable {ref.keys[0]} is not set (needed when this value is used)")
        self._compiled.append((compiled, path))
        return compiled

    # pydantic validation with our messages and positions
    def model(self, cls: type[_Model], data: Any, path: KeyPath) -> _Model | None:
        if not isinstance(data, dict):
            self.error(path, f"expected a mapping of keys, got {_kind(data)}")
            return None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            for item in exc.errors():
                self._report(item, data, path)
            return None

    def _report(self, item: ErrorDetails, data: Any, path: KeyPath) -> None:
        loc = _data_path(data, item["loc"])
        kind = item["type"]
        if kind == "missing":
            self.error(path + loc, f"missing required key `{loc[-1]}`")
        elif kind == "extra_forbidden":
            name = str(loc[-1])
            hint = " here (it belongs to another listener or route type)" if name in _ALL_KEYS \
                else _did_you_mean(name, _ALL_KEYS)
            self.error(path + loc, f"unknown key `{name}`{hint}", key=True)
        else:
            message = item["msg"].removeprefix("Value error, ")
            given = item.get("input")
            if kind == "literal_error":
                choices = [c.strip(" '") for c in str(item.get("ctx", {}).get("expected", "")).replace(" or ", ",")
                           .split(",") if c.strip(" '")]
                message = (f"`{given}` is not allowed{_did_you_mean(str(given), choices)}: "
                           f"{message.removeprefix('Input should be ')}")
            elif kind not in ("value_error", "model_type") and isinstance(given, (str, int, float, bool)):
                message = f"{message} (got `{given}`)"
            if isinstance(given, str) and "${env." in given:
                message += " — the environment variable it names is not set"
            self.error(path + loc, message)

    # sections
    def gateways(self, entries: list[tuple[Any, KeyPath]]) -> set[int]:
        ports: set[int] = set()
        for raw, path in entries:
            cls = self._typed(raw, path, m.GATEWAY_TYPES, "gateway")
            if cls is None:
                continue
            gateway = self.model(cls, self.substitute_env(raw, path), path)
            if gateway is None:
                continue
            if gateway.runtime != "native":
                self.warn(path + ("runtime",), f"runtime `{gateway.runtime}` is accepted but hooktui runs "
                                               f"every gateway natively")
            if gateway.port in ports:
                self.error(path + ("port",), f"another gateway already exposes port {gateway.port}")
            ports.add(gateway.port)
            self.config.gateways.append(gateway)
            self._gateway_paths.append(path)
        return ports

    def _typed(self, raw: Any, path: KeyPath, types: dict[str, type[_Model]], what: str) -> type[_Model] | None:
        if not isinstance(raw, dict):
            self.error(path, f"a {what} is a mapping with `type:`, not {_kind(raw)}")
            return None
        kinds = ", ".join(types)
        if "type" not in raw:
            self.error(path + ("type",), f"missing required key `type` (the {what} type: one of {kinds})")
            return None
        cls = types.get(str(raw["type"]))
        if cls is None:
            self.error(path + ("type",), f"unknown {what} type `{raw['type']}`"
                                         f"{_did_you_mean(str(raw['type']), list(types))} (one of {kinds})")
        return cls

    def components(self, raw: Any) -> None:
        if raw is None:
            return
        if isinstance(raw, list):
            entries = []
            for index, item in enumerate(raw):
                if isinstance(item, dict) and "id" in item:
                    entries.append((str(item["id"]), {k: v for k, v in item.items() if k != "id"},
                                    ("components", index)))
                else:
                    self.error(("components", index, "id"), "missing required key `id` (list-form components "
                                                            "are named by `id:`)")
        elif isinstance(raw, dict):
            entries = [(str(cid), spec, ("components", cid)) for cid, spec in raw.items()]
        else:
            self.error(("components",), f"`components` maps ids to component specs, not {_kind(raw)}")
            return
        for cid, spec, path in entries:
            if cid in self.config.components:
                self.error(path, f"component `{cid}` is defined twice")
            component = self.component(spec, path)
            if component is not None:
                self.config.components[cid] = component
            else:
                self._broken_components.add(cid)

    def component(self, spec: Any, path: KeyPath) -> m.Component | None:
        if not isinstance(spec, dict):
            self.error(path, f"a component is a mapping with `type:`, not {_kind(spec)}")
            return None
        if "type" not in spec:
            kinds = ", ".join(m.COMPONENT_TYPES)
            self.error(path + ("type",), f"missing required key `type` (the component type: one of {kinds})")
            return None
        cls = m.COMPONENT_TYPES.get(str(spec["type"]))
        if cls is None:
            self.warn(path + ("type",), f"component type `{spec['type']}` is not run by hooktui (it runs "
                                        f"{', '.join(m.COMPONENT_TYPES)}); a job that uses it will fail")
            return m.UnsupportedComponent.model_validate(spec)
        component = self.model(cls, self.substitute_env(spec, path, _COMPONENT_TEMPLATE_KEYS), path)
        if component is None:
            return None
        if isinstance(component, m.ShellComponent) and isinstance(component.command, str):
            try:  # split before rendering: a rendered value is one argument, never several
                component.command = split_command(component.command)
            except ValueError as exc:
                self.error(path + ("command",), f"cannot split the command line: {exc}")
                return None
            except ExpressionError:
                pass  # compiling it reports the expression with its position
        for name in _COMPONENT_TEMPLATE_KEYS & set(cls.model_fields):
            if name == "completion":
                if isinstance(component, m.HttpClientComponent) and component.completion is not None:
                    component.completion.wait_for = self.compile(component.completion.wait_for,
                                                                 path + ("completion", "wait_for"))
                continue
            setattr(component, name, self.compile(getattr(component, name), path + (name,)))
        return component

    def listeners(self, entries: list[tuple[Any, KeyPath]], workflow_ids: set[str]) -> None:
        ports: dict[int, KeyPath] = {}
        for raw, path in entries:
            cls = self._typed(raw, path, m.LISTENER_TYPES, "listener")
            if cls is None:
                continue
            group = "callbacks" if cls is m.CallbackListener else "triggers" if cls is m.TriggerListener else None
            prepared = self.substitute_env({k: v for k, v in raw.items() if k != group}, path, _ROUTE_TEMPLATE_KEYS)
            listener = self.model(cls, prepared, path)
            routes = self._route_entries(raw, group, path)
            if listener is None:
                continue
            built = self.listener(listener, path, workflow_ids, routes)
            if built is None:
                continue
            if built.port != 0 and built.port in ports:
                self.error(path + ("port",), f"port {built.port} is already used by the listener at "
                                             f"{format_key_path(ports[built.port])}")
            ports.setdefault(built.port, path)
            self.config.listeners.append(built)

    def _route_entries(self, raw: dict[str, Any], group: str | None, path: KeyPath) -> list[tuple[Any, KeyPath]] | None:
        """Each route of a `callbacks:`/`triggers:` list validated on its own, so one bad route hides nothing."""
        if group is None or raw.get(group) is None:
            return None
        items = raw[group]
        if not isinstance(items, list):
            self.error(path + (group,), f"`{group}` is a list of routes (`- path: ...`), not {_kind(items)}")
            return []
        cls = m.CallbackRoute if group == "callbacks" else m.TriggerRoute
        entries = []
        for index, item in enumerate(items):
            entry_path = path + (group, index)
            route = self.model(cls, self.substitute_env(item, entry_path, _ROUTE_TEMPLATE_KEYS)
                               if isinstance(item, dict) else item, entry_path)
            if route is not None:
                entries.append((route, entry_path))
        if not items:
            self.error(path + (group,), f"`{group}` is empty: add at least one route")
        return entries

    def listener(self, model: m.Listener, path: KeyPath, workflow_ids: set[str],
                 entries: list[tuple[Any, KeyPath]] | None) -> ListenerConfig | None:
        port = model.port if model.port is not None else (
            m.DEFAULT_TRIGGER_PORT if model.type == "http-trigger" else m.DEFAULT_CALLBACK_PORT)
        if model.host not in _LOOPBACK:
            self.warn(path + ("host",), f"listens on {model.host}, not only on this machine: anything that can "
                                        f"reach it can send events (the default is 127.0.0.1)")
        if model.runtime != "native":
            self.warn(path + ("runtime",), f"runtime `{model.runtime}` is accepted but hooktui runs natively")
        routes: list[Route] = []
        if model.type == "capture":
            routes.append(self.route("capture", model, model, path, model.path, model.methods))
        else:
            group = "callbacks" if model.type == "http-callback" else "triggers"
            if entries is not None and model.path is not None:
                self.error(path + (group,), f"use either the single form (`path:` on the listener) or "
                                            f"`{group}:`, not both")
                return None
            if entries is None:
                if model.path is None:
                    self.error(path + ("path",), f"missing required key `path` (or a `{group}:` list of routes)")
                    return None
                entries = [(model, path)]
            kind = "callback" if model.type == "http-callback" else "trigger"
            for entry, entry_path in entries:
                if kind == "trigger" and entry.workflow is None:
                    self.error(entry_path + ("workflow",), "missing required key `workflow` (the id of the "
                                                           "workflow each request starts)")
                    continue
                if kind == "trigger" and entry.workflow not in workflow_ids:
                    known = ", ".join(sorted(workflow_ids)) or "none are defined"
                    self.error(entry_path + ("workflow",), f"workflow `{entry.workflow}` is not defined "
                                                           f"(workflows: {known})")
                routes.append(self.route(kind, model, entry, entry_path, model.base_path + entry.path,
                                         [entry.method]))
        seen: dict[tuple[str, str], KeyPath] = {}
        for route in routes:
            for method in route.methods or ("*",):
                if (method, route.path) in seen:
                    self.error(route.key_path + ("path",), f"{method} {route.path} is already routed by "
                                                           f"{format_key_path(seen[(method, route.path)])}")
                seen[(method, route.path)] = route.key_path
        return ListenerConfig(model.type, model.host, port, model.base_path, model.max_concurrent_count,
                              model.max_body_size, routes, model, path)

    def route(self, kind: str, listener: Any, spec: Any, path: KeyPath, full_path: str,
              methods: list[str] | None) -> Route:
        if kind != "capture":
            for name in _ROUTE_TEMPLATE_KEYS & set(type(spec).model_fields):
                value = getattr(spec, name)
                if value is not None:
                    compiled = self.compile(value, path + (name,))
                    setattr(spec, name, compiled)
                    self._check_route_sources(compiled, spec, path + (name,))
        verify = spec.verify or listener.verify
        where = (path if spec.verify else self._listener_path(path)) + ("verify",)
        if verify is not None and verify.scheme is not None:
            if verify.scheme not in SCHEME_NAMES:
                self.error(where + ("scheme",), f"unknown signature scheme `{verify.scheme}`"
                                                f"{_did_you_mean(verify.scheme, SCHEME_NAMES)}")
            else:
                try:
                    get_scheme(verify.scheme, SchemeOptions.of(verify))
                except SchemeError as exc:
                    self.error(where, str(exc))
        forward_setting = spec.forward if spec.forward is not None else listener.forward
        forward = _forward_targets(forward_setting)
        respond = spec.respond if spec.respond is not None else (listener.respond or m.RespondConfig())
        compile_answer_settings(self, forward, isinstance(forward_setting, list),
                                (path if spec.forward is not None else self._listener_path(path)) + ("forward",),
                                respond,
                                (path if spec.respond is not None else self._listener_path(path)) + ("respond",))
        route = Route(kind, full_path, tuple(methods) if methods else None, spec, verify, forward, respond, path)
        if verify is not None:
            self._route_secrets(route, verify, where)
        return route

    def _route_secrets(self, route: Route, verify: m.VerifyConfig, where: KeyPath) -> None:
        """Name each of the route's secrets by its place in the file (`verify.secret (hooktui.yaml:7)`)."""
        verify_at = self.locate(where)
        route.verify_place = f"{verify_at.file}:{verify_at.line}"
        given: list[tuple[KeyPath, str]] = [(("secret",), verify.secret)] if verify.secret else []
        given += [(("secrets", index), value) for index, value in enumerate(verify.secrets)]
        for key, value in given:
            location = self.locate(where + key)
            name = "verify." + "".join(f"[{part}]" if isinstance(part, int) else part for part in key)
            place = f"{Path(location.file).name}:{location.line}"
            unset = unresolved_reference(value)
            if unset is None:
                route.secrets.append(Secret(value, f"{name} ({place})"))
            else:
                route.unset_secrets.append((unset, f"{location.file}:{location.line}"))

    @staticmethod
    def _listener_path(route_path: KeyPath) -> KeyPath:
        return route_path[:-2] if len(route_path) >= 2 and route_path[-2] in ("callbacks", "triggers") else route_path

    def _check_route_sources(self, compiled: CompiledValue | None, spec: Any, path: KeyPath) -> None:
        if compiled is None:
            return
        for template in compiled.templates():
            for ref in template.references():
                where = template.location.key_path if template.location else path
                if ref.source == "item" and not spec.bulk:
                    self.error(where, f"`{ref.text}` reads `item`, which exists only with `bulk: true`")
                elif ref.source in ("response", "output", "jobs", "result"):
                    self.error(where, f"`{ref.text}`: `{ref.source}` is not available in a listener route "
                                      f"(use body, query, header{', item' if spec.bulk else ''})")

    def _workflow_entries(self, data: dict[str, Any]) -> list[tuple[str, Any, KeyPath]]:
        entries: list[tuple[str, Any, KeyPath]] = []
        if "workflow" in data and "workflows" in data:
            self.error(("workflows",), "use either `workflow:` or `workflows:`, not both", key=True)
        if data.get("workflow") is not None:
            raw = data["workflow"]
            wid = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") is not None else "default"
            entries.append((wid, raw, ("workflow",)))
        raw = data.get("workflows")
        if isinstance(raw, dict):
            entries.extend((str(wid), spec, ("workflows", wid)) for wid, spec in raw.items())
        elif isinstance(raw, list):
            for index, spec in enumerate(raw):
                if isinstance(spec, dict) and spec.get("id") is not None:
                    entries.append((str(spec["id"]), spec, ("workflows", index)))
                else:
                    self.error(("workflows", index, "id"), "missing required key `id` (list-form workflows are "
                                                           "named by `id:`)")
        elif raw is not None:
            self.error(("workflows",), f"`workflows` maps ids to workflows (or lists them), not {_kind(raw)}")
        seen: set[str] = set()
        for wid, _, path in entries:
            if wid in seen:
                self.error(path, f"workflow `{wid}` is defined twice")
            seen.add(wid)
        return entries

    def workflow(self, wid: str, raw: Any, path: KeyPath) -> None:
        if isinstance(raw, dict) and path[0] == "workflows" and isinstance(path[-1], str) and "id" not in raw:
            raw = {**raw, "id": wid}
        if not isinstance(raw, dict):
            self.error(path, f"a workflow is a mapping with `jobs:`, not {_kind(raw)}")
            return
        prepared = self.substitute_env(raw, path, {"jobs", "input", "output"})
        if isinstance(raw.get("jobs"), list):
            prepared["jobs"] = [self._prepare_job(job, path + ("jobs", i)) for i, job in enumerate(raw["jobs"])]
        workflow = self.model(m.Workflow, prepared, path)
        if workflow is None:
            return
        workflow.id = wid
        config = WorkflowConfig(wid, workflow, path)
        if not workflow.jobs:
            self.error(path + ("jobs",), "a workflow needs at least one job")
        self._jobs(workflow.jobs, path + ("jobs",), config)
        workflow.input = self.compile(workflow.input, path + ("input",))
        workflow.output = self.compile(workflow.output, path + ("output",))
        self.config.workflows[wid] = config
        self._check_job_graph(config)

    def _prepare_job(self, job: Any, path: KeyPath) -> Any:
        if not isinstance(job, dict):
            return job
        prepared = self.substitute_env(job, path, _JOB_TEMPLATE_KEYS | {"on_error"})
        if isinstance(job.get("on_error"), list):
            prepared["on_error"] = [self._prepare_job(j, path + ("on_error", i)) for i, j in enumerate(job["on_error"])]
        return prepared

    def _jobs(self, jobs: list[m.Job], path: KeyPath, workflow: WorkflowConfig) -> None:
        for index, job in enumerate(jobs):
            job_path = path + (index,)
            if job.id is None:
                job.id = f"job-{index + 1}" if path[-1] == "jobs" else f"{path[-2]}-fallback-{index + 1}"
            self._job_component(job, job_path)
            job.input = self.compile(job.input, job_path + ("input",))
            job.output = self.compile(job.output, job_path + ("output",))
            if job.on_error:
                self._jobs(job.on_error, job_path + ("on_error",), workflow)
            self._job_paths.setdefault(id(job), job_path)

    def _job_component(self, job: m.Job, path: KeyPath) -> None:
        components = self.config.components
        if job.component is None:
            if len(components) == 1:
                job.component = next(iter(components))
            else:
                defined = f"the config defines {len(components)} components" if components else \
                    "no components are defined"
                self.error(path + ("component",), f"missing required key `component` ({defined})")
        elif isinstance(job.component, dict):
            inline = self.component(job.component, path + ("component",))
            if inline is not None:
                components[f"{job.id}@inline"] = inline
                job.component = f"{job.id}@inline"
        elif job.component not in components and job.component not in BUILTIN_COMPONENTS \
                and job.component not in self._broken_components:
            known = ", ".join(sorted(components)) or "none are defined"
            self.error(path + ("component",), f"component `{job.component}` is not defined (components: {known}; "
                                              f"built in: {', '.join(BUILTIN_COMPONENTS)})")

    def _check_job_graph(self, workflow: WorkflowConfig) -> None:
        ids: dict[str, KeyPath] = {}
        for job in workflow.all_jobs():
            job_path = self._job_paths[id(job)]
            if job.key in ids:
                self.error(job_path + ("id",), f"job id `{job.key}` is used twice in workflow `{workflow.id}`")
            ids[job.key] = job_path
        main: dict[str, m.Job] = {}
        for job in workflow.model.jobs:
            main.setdefault(job.key, job)  # a duplicate is reported above; the first definition stays in the graph
        for job in workflow.all_jobs():
            for index, dependency in enumerate(job.depends_on):
                if dependency not in ids:
                    self.error(self._job_paths[id(job)] + ("depends_on", index),
                               f"job `{dependency}` does not exist in workflow `{workflow.id}`"
                               f"{_did_you_mean(dependency, list(ids))}")
        cycle = _find_cycle({jid: [d for d in job.depends_on if d in main] for jid, job in main.items()})
        if cycle:
            self.error(self._job_paths[id(main[cycle[0]])] + ("depends_on",),
                       f"jobs depend on each other in a cycle: {' → '.join(cycle + [cycle[0]])}")
        for job in workflow.all_jobs():
            for value in (job.input, job.output):
                for template in (value.templates() if value else []):
                    for ref in template.references():
                        where = template.location.key_path if template.location else self._job_paths[id(job)]
                        if ref.source == "jobs":
                            target = str(ref.keys[0]) if ref.keys else None
                            if target not in ids:
                                self.error(where, f"`{ref.text}` names job `{target}`, which is not in workflow "
                                                  f"`{workflow.id}`{_did_you_mean(target or '', list(ids))}")
                        elif ref.source in ("body", "query", "header", "item", "response"):
                            self.error(where, f"`{ref.text}`: `{ref.source}` is not available in a workflow job "
                                              f"(use input, output, jobs, context, env)")

    def check_references(self, gateway_ports: set[int]) -> None:
        for compiled, path in self._compiled:
            for template in compiled.templates():
                for ref in template.references():
                    if ref.source == "gateway" and ref.port not in gateway_ports:
                        where = template.location.key_path if template.location else path
                        known = ", ".join(str(p) for p in sorted(gateway_ports)) or "none are configured"
                        self.error(where, f"`{ref.text}` needs a gateway on port {ref.port} (gateway ports: {known})")


# --- helpers --------------------------------------------------------------------------------------------

def _forward_targets(setting: Any) -> list[m.ForwardTarget]:
    if setting is None:
        return []
    items = setting if isinstance(setting, list) else [setting]
    return [m.ForwardTarget(url=item) if isinstance(item, str) else item for item in items]


def _data_path(data: Any, loc: tuple[str | int, ...]) -> KeyPath:
    """Map a pydantic error location onto the data. Segments that are not keys of the data are union-branch
    labels and are dropped — except a last segment under a mapping, which names a missing key."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        in_mapping = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_mapping or in_list:
            node = node[part]
            path.append(part)
        elif index == len(loc) - 1 and isinstance(node, dict):
            path.append(part)
    return tuple(path)


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):]
            if state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"the text `{value}`" if isinstance(value, str) else f"`{value}`"
