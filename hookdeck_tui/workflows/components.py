"""What a job's component does: `http-client` (a request, and perhaps a wait for its callback — the runner does the
waiting), the built-in `logger`, and `shell`. Each renders its fields from the job's scope and returns an output;
failures raise JobFailure with a sentence a user can act on."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hookdeck_tui.bounds import loads_bounded
from hookdeck_tui.config import models as m
from hookdeck_tui.expressions import CompiledValue, ExpressionError, Scope, stringify

if TYPE_CHECKING:  # httpx takes ~50 ms to import and a console that forwards nothing never needs it: each use
    import httpx  # imports it (runtime.settle_after_start loads it off the loop once the console is up)

DEFAULT_REQUEST_TIMEOUT = 60.0
DEFAULT_SHELL_TIMEOUT = 60.0


class JobFailure(Exception):
    def __init__(self, reason: str, *, state: str = "failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.state = state  # failed | timed_out


@dataclass
class PreparedRequest:
    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, Any]
    body: Any

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "params": self.params, "body": self.body,
                "headers": sorted(self.headers)}  # names only: header values may hold credentials


def render(value: CompiledValue | Any, scope: Scope, default: Any = None) -> Any:
    """Render a compiled config value; a plain value (the built-in logger's defaults) is itself."""
    if value is None:
        return default
    if not isinstance(value, CompiledValue):
        return value
    try:
        return value.render(scope)
    except ExpressionError as exc:
        raise JobFailure(str(exc)) from exc


def prepare_request(component: m.HttpClientComponent, scope: Scope) -> PreparedRequest:
    endpoint = render(component.endpoint, scope) or render(component.url, scope)
    if endpoint is None:
        base = str(render(component.base_url, scope, "")).rstrip("/")
        path = str(render(component.path, scope, "") or "")
        endpoint = base + (path if not path or path.startswith("/") else "/" + path)
    headers = {str(k): _text(v) for k, v in (render_mapping(component.headers, scope)).items()}
    params = render_mapping(component.params, scope)
    return PreparedRequest(component.method, str(endpoint), headers, params, render(component.body, scope))


def render_mapping(value: Any, scope: Scope) -> dict[str, Any]:
    rendered = render(value, scope, {})
    return rendered if isinstance(rendered, dict) else {}


async def send(http: httpx.AsyncClient, request: PreparedRequest, timeout: float) -> tuple[int, Any]:
    """Send; a transport failure or an error status fails the job with what happened."""
    import httpx

    kwargs: dict[str, Any] = {"headers": request.headers, "params": request.params, "timeout": timeout}
    if request.body is not None:
        if isinstance(request.body, (dict, list)):
            kwargs["json"] = request.body
        else:
            kwargs["content"] = _text(request.body).encode()
    try:
        response = await http.request(request.method, request.url, **kwargs)
    except httpx.TimeoutException as exc:
        raise JobFailure(f"{request.method} {request.url}: no answer within {timeout:g} s",
                         state="timed_out") from exc
    except httpx.HTTPError as exc:
        raise JobFailure(f"{request.method} {request.url}: {exc}") from exc
    body = _parse(response)
    if response.status_code >= 400:
        raise JobFailure(f"{request.method} {request.url} answered {response.status_code}: {_short(body)}")
    return response.status_code, body


def callback_target(value: Any, callback_paths: set[str]) -> str | None:
    """A URL inside the request that points at one of this config's http-callback routes (model-compose's examples send
    `callback_url: .../webhooks/image/completed`): then the job waits, keyed by the run id."""
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.path.rstrip("/") in callback_paths:
            return value
        return None
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return next((found for item in value if (found := callback_target(item, callback_paths))), None)
    return None


async def run_shell(component: m.ShellComponent, scope: Scope) -> dict[str, Any]:
    command = render(component.command, scope)  # a command line was split into words when the config loaded
    argv = [stringify(a) for a in command] if isinstance(command, list) else [stringify(command)]
    argv += [stringify(a) for a in render(component.args, scope, [])] if isinstance(component.args, CompiledValue) \
        else []
    env = {**os.environ, **{k: _text(v) for k, v in render_mapping(component.env, scope).items()}}
    cwd = render(component.cwd, scope)
    timeout = component.timeout / 1000 if component.timeout else DEFAULT_SHELL_TIMEOUT
    try:
        process = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.PIPE, env=env, cwd=cwd)
    except (OSError, ValueError) as exc:  # ValueError: a NUL inside an argument
        raise JobFailure(f"cannot run `{' '.join(argv)}`: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError as exc:
        process.kill()
        await process.wait()
        raise JobFailure(f"`{' '.join(argv)}` did not finish within {timeout:g} s", state="timed_out") from exc
    errors = stderr.decode("utf-8", "replace")
    if process.returncode != 0:
        raise JobFailure(f"`{' '.join(argv)}` exited with {process.returncode}: {_short(errors.strip())}")
    return {"stdout": stdout.decode("utf-8", "replace"), "stderr": errors, "exit_code": process.returncode}


def _parse(response: httpx.Response) -> Any:
    try:
        return loads_bounded(response.content)
    except (ValueError, UnicodeDecodeError):  # not JSON, or too deep to use (bounds.TooDeep): its text
        return response.text


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:197] + "..."
