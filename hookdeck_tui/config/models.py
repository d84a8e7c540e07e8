"""The shapes of a hooktui / model-compose config, as pydantic models.

These mirror the YAML as written (single and list forms both exist here); `loader.py` validates raw data
against them and `Config` in `loader.py` holds the normalized result. Fields that hold `${...}` expressions are
typed `Any`: the loader replaces their values with compiled templates once it knows their file positions.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hookdeck_tui.answer_settings import MAX_DELAY, parse_delay, parse_rate
from hookdeck_tui.signatures.secrets import unresolved_reference

DEFAULT_CALLBACK_PORT = 8090
DEFAULT_TRIGGER_PORT = 8091
DEFAULT_BODY_LIMIT = 10 * 1024 * 1024
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

Port = Annotated[int, Field(ge=0, le=65535, description="0 picks a free port")]
RemotePort = Annotated[int, Field(ge=1, le=65535)]
Milliseconds = Annotated[int, Field(ge=0)]


class Model(BaseModel):
    """Unknown keys are errors (with a did-you-mean from the loader): a typo must not pass silently."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


def _http_method(value: str) -> str:
    value = str(value).upper()
    if not _TOKEN.match(value):
        raise ValueError(f"`{value}` is not an HTTP method")
    return value


def _route_path(value: str) -> str:
    value = str(value)
    if not value.startswith("/"):
        raise ValueError(f"a path starts with `/` (got `{value}`)")
    return value


HttpMethod = Annotated[str, AfterValidator(_http_method)]
RoutePath = Annotated[str, AfterValidator(_route_path)]


# --- hooktui extensions: verify / forward / respond ------------------------------------------------------

class VerifyConfig(Model):
    """How to check a request's signature. Without `scheme`, the scheme is detected from the headers."""

    scheme: str | None = None
    secret: str | None = None
    secrets: list[str] = Field(default_factory=list)
    tolerance: float | None = Field(default=None, ge=0, description="seconds; the scheme's default otherwise")
    enforce: bool = Field(default=False, description="answer 401 to requests whose signature is not valid")
    header: str | None = None
    timestamp_header: str | None = None
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = ""
    signed_content: str | None = None
    url: str | None = Field(default=None, description="public URL the provider signs (twilio, square)")

    @property
    def all_secrets(self) -> list[str]:
        """The usable secrets: a `${env.NAME}` left unresolved (NAME unset) is never a key."""
        return [s for s in self._given() if unresolved_reference(s) is None]

    def _given(self) -> list[str]:
        return ([self.secret] if self.secret else []) + list(self.secrets)


class ForwardTarget(Model):
    url: str
    path_prefix: RoutePath = "/"
    strip_prefix: bool = False
    timeout: float = Field(default=10.0, gt=0, description="seconds")
    retries: int = Field(default=0, ge=0, le=20)
    backoff: float = Field(default=0.5, ge=0, description="seconds before the first retry; doubles each time")
    events: list[str] | None = Field(default=None, description="only events of these types (globs: `checkout.*`)")
    when: str | None = Field(default=None, description='a condition, e.g. `${body.type} == "invoice.paid"`')
    _condition: Any = PrivateAttr(default=None)  # the compiled `when:`, set by the loader


def _outcome(value: Any) -> int | str:
    """An answer: an HTTP status, `hang` (no answer until the client gives up) or `reset` (connection cut)."""
    if isinstance(value, str) and value in ("hang", "reset"):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise ValueError(f"`{value}` is not an answer: a status 100-599, `hang` or `reset`")
    return value


Outcome = Annotated[int | str, AfterValidator(_outcome)]


class RespondConfig(Model):
    """A route's answer; all but status/body/headers simulate a receiver that misbehaves (listener/simulate.py)."""

    status: Outcome = 200
    body: Any = Field(default_factory=lambda: {"received": True})
    headers: dict[str, str] = Field(default_factory=dict)
    delay: str | float | None = Field(default=None, description="before answering: `2s`, `500ms`, `1s-3s`")
    fail: str | float | None = Field(default=None, description="this share of requests gets `fail_status`: `20%`")
    fail_status: Outcome = 500
    sequence: list[Outcome] | None = Field(default=None, min_length=1,
                                           description="answers in turn, the last repeating: [500, 500, 200]")
    per: Literal["delivery", "overall"] = Field(default="delivery", description="a sequence restarts per delivery "
                                                "id (retries of one event share it) or runs over all requests")
    retry_after: int | None = Field(default=None, ge=0, description="seconds, sent as Retry-After (1 with a 429)")
    hold: float = Field(default=30.0, gt=0, le=MAX_DELAY, description="seconds `hang` holds a request at most")
    _compiled: Any = PrivateAttr(default=None)  # (body, headers) CompiledValue when they use ${...}

    @field_validator("delay", "fail")
    @classmethod
    def _parses(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            (parse_delay if info.field_name == "delay" else parse_rate)(value)
        return value

    @property
    def delay_range(self) -> tuple[float, float] | None:
        return parse_delay(self.delay) if self.delay is not None else None

    @property
    def fail_rate(self) -> float:
        return parse_rate(self.fail) if self.fail is not None else 0.0

    @property
    def simulates(self) -> bool:
        """More than a fixed answer: each request's answer is decided (and recorded with its event)."""
        return (self.status not in range(200, 300) or self.delay is not None or self.fail is not None
                or self.sequence is not None or self.retry_after is not None or self._compiled is not None)


def _shape(value: Any) -> str:
    """Pick a union branch by the YAML shape, so a mistake is reported against one branch only."""
    return "mapping" if isinstance(value, dict) else "list" if isinstance(value, list) else "text"


ForwardItem = Annotated[Annotated[str, Tag("text")] | Annotated[ForwardTarget, Tag("mapping")], Discriminator(_shape)]
ForwardSetting = Annotated[
    Annotated[str, Tag("text")] | Annotated[ForwardTarget, Tag("mapping")] | Annotated[list[ForwardItem], Tag("list")],
    Discriminator(_shape)]
RespondSetting = Annotated[
    Annotated[Literal["app", "console"], Tag("text")] | Annotated[RespondConfig, Tag("mapping")],
    Discriminator(_shape)]


class RouteExtensions(Model):
    verify: VerifyConfig | None = None
    forward: ForwardSetting | None = None
    respond: RespondSetting | None = None


# --- listeners ------------------------------------------------------------------------------------------

class ListenerCommon(RouteExtensions):
    host: str = "127.0.0.1"
    port: Port | None = None
    base_path: str = ""
    max_concurrent_count: int = Field(default=0, ge=0, description="0 = no limit")
    max_queued_count: int = Field(default=100, ge=0, description="requests waiting for a slot before 503")
    queue_timeout: float = Field(default=30.0, gt=0, description="seconds a request may wait for a slot")
    runtime: str = "native"
    max_body_size: int = Field(default=DEFAULT_BODY_LIMIT, ge=0)
    body_timeout: float = Field(default=30.0, gt=0, description="seconds a client may take to send the body "
                                                                "before 408 (a slow-loris body is cut off)")
    trusted_proxies: list[str] = Field(default_factory=list, description="addresses (or `*`) whose "
                                       "X-Forwarded-For/-Proto set the stored remote address and scheme")

    @field_validator("base_path")
    @classmethod
    def _base(cls, value: str) -> str:
        return "" if value in ("", "/") else _route_path(value).rstrip("/")


class BulkFields(Model):
    """`bulk: true` makes one request carry many items, found by the `item:` expression."""

    bulk: bool = False
    item: Any = None

    @model_validator(mode="after")
    def _item_with_bulk(self) -> BulkFields:
        if self.bulk and self.item is None:
            raise ValueError("`bulk: true` needs `item:` (e.g. `item: ${body.results}`)")
        return self


class CallbackSpec(RouteExtensions, BulkFields):
    path: RoutePath | None = None
    method: HttpMethod = "POST"
    identify_by: Any = "__callback__"
    status: Any = None
    success_when: list[Any] | None = None
    fail_when: list[Any] | None = None
    result: Any = None

    @model_validator(mode="after")
    def _status_with_conditions(self) -> CallbackSpec:
        if (self.success_when or self.fail_when) and self.status is None:
            raise ValueError("`success_when`/`fail_when` need `status:` (e.g. `status: ${body.status}`)")
        return self


class CallbackRoute(CallbackSpec):
    path: RoutePath


class CallbackListener(ListenerCommon, CallbackSpec):
    type: Literal["http-callback"]
    callbacks: list[CallbackRoute] | None = None


class TriggerSpec(RouteExtensions, BulkFields):
    path: RoutePath | None = None
    method: HttpMethod = "POST"
    workflow: str | None = None
    input: Any = None


class TriggerRoute(TriggerSpec):
    path: RoutePath
    workflow: str


class TriggerListener(ListenerCommon, TriggerSpec):
    type: Literal["http-trigger"]
    triggers: list[TriggerRoute] | None = None


ChallengeProvider = Literal["slack", "meta", "zoom", "dropbox", "microsoft-graph", "twitch", "cloudevents"]


class MetaChallenge(Model):
    verify_token: str | None = Field(default=None, description="the Verify Token set in Meta's App Dashboard; "
                                                               "$META_VERIFY_TOKEN otherwise")


class ZoomChallenge(Model):
    secret: str | None = Field(default=None, description="the app's Secret Token; $ZOOM_WEBHOOK_SECRET_TOKEN "
                                                         "otherwise")


class ChallengesConfig(Model):
    """The providers' ownership handshakes a capture listener answers (`challenges: false` turns them off)."""

    enabled: bool = True
    disable: list[ChallengeProvider] = Field(default_factory=list, description="providers not to answer")
    meta: MetaChallenge = Field(default_factory=MetaChallenge)
    zoom: ZoomChallenge = Field(default_factory=ZoomChallenge)


class CaptureListener(ListenerCommon):
    """hooktui's own listener type: capture every request under `path` and answer with `respond`."""

    type: Literal["capture"]
    path: RoutePath = "/"
    methods: list[HttpMethod] | None = None
    challenges: ChallengesConfig = Field(default_factory=ChallengesConfig)

    @field_validator("challenges", mode="before")
    @classmethod
    def _on_off(cls, value: Any) -> Any:
        return {"enabled": value} if isinstance(value, bool) else value


LISTENER_TYPES: dict[str, type[Listener]] = {
    "http-callback": CallbackListener,
    "http-trigger": TriggerListener,
    "capture": CaptureListener,
}
Listener = CallbackListener | TriggerListener | CaptureListener


# --- gateways -------------------------------------------------------------------------------------------

class HttpTunnelGateway(Model):
    type: Literal["http-tunnel"]
    driver: Literal["cloudflare", "ngrok"]
    port: RemotePort
    runtime: str = "native"
    authtoken: str | None = Field(default=None, description="ngrok only; NGROK_AUTHTOKEN otherwise")


class SshAuth(Model):
    type: Literal["keyfile", "password"]
    username: str
    keyfile: str | None = None
    password: str | None = None
    passphrase: str | None = None

    @model_validator(mode="after")
    def _needs_secret(self) -> SshAuth:
        if self.type == "keyfile" and not self.keyfile:
            raise ValueError("`type: keyfile` needs `keyfile:` (e.g. `keyfile: ~/.ssh/id_ed25519`)")
        if self.type == "password" and self.password is None:
            raise ValueError("`type: password` needs `password:` (e.g. `password: ${env.SSH_PASSWORD}`)")
        return self


class SshConnection(Model):
    host: str
    port: RemotePort = 22
    auth: SshAuth
    known_hosts: str | None = Field(default=None, description="file of trusted host keys; `none` disables")


class SshTunnelGateway(Model):
    type: Literal["ssh-tunnel"]
    port: RemotePort
    remote_port: RemotePort | None = None
    remote_host: str = "localhost"
    runtime: str = "native"
    keepalive_interval: float = Field(default=15.0, gt=0, description="seconds")
    connection: SshConnection


class StoreSettings(Model):
    """hooktui's `store:` section: how much history a long-running console keeps (default: all of it)."""

    keep: int | None = Field(default=None, ge=1, description="keep the newest N events")
    keep_days: float | None = Field(default=None, gt=0, description="keep the events of the last D days")


GATEWAY_TYPES: dict[str, type[Gateway]] = {"http-tunnel": HttpTunnelGateway, "ssh-tunnel": SshTunnelGateway}
Gateway = HttpTunnelGateway | SshTunnelGateway


# --- components -----------------------------------------------------------------------------------------

class Completion(Model):
    type: Literal["callback"]
    wait_for: Any = None
    timeout: Milliseconds | None = None


class HttpClientComponent(Model):
    type: Literal["http-client"]
    base_url: Any = None
    endpoint: Any = None
    url: Any = None
    path: Any = None
    method: HttpMethod = "POST"
    headers: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    body: Any = None
    timeout: Milliseconds | None = None
    output: Any = None
    completion: Completion | None = None

    @model_validator(mode="after")
    def _has_target(self) -> HttpClientComponent:
        if self.base_url is None and self.endpoint is None and self.url is None:
            raise ValueError("an http-client needs `base_url:` (with `path:`) or `endpoint:` (a full URL)")
        return self


class LoggerComponent(Model):
    type: Literal["logger"]
    level: Any = "info"
    message: Any = None
    data: Any = None


class ShellComponent(Model):
    type: Literal["shell"]
    command: Any
    args: list[Any] = Field(default_factory=list)
    env: dict[str, Any] = Field(default_factory=dict)
    cwd: Any = None
    timeout: Milliseconds | None = None
    output: Any = None


class UnsupportedComponent(BaseModel):
    """A model-compose component type hooktui does not run: accepted with a warning; using it fails the job."""

    model_config = ConfigDict(extra="allow")
    type: str


COMPONENT_TYPES: dict[str, type[HttpClientComponent | LoggerComponent | ShellComponent]] = {
    "http-client": HttpClientComponent,
    "logger": LoggerComponent,
    "shell": ShellComponent,
}
Component = HttpClientComponent | LoggerComponent | ShellComponent | UnsupportedComponent


# --- workflows ------------------------------------------------------------------------------------------

class Retry(Model):
    max_attempts: int = Field(default=1, ge=1, le=100)
    delay: Milliseconds = 0


class Job(Model):
    id: str | None = None
    title: str | None = None
    description: str | None = None
    component: Annotated[Annotated[str, Tag("text")] | Annotated[dict[str, Any], Tag("mapping")],
                         Discriminator(_shape)] | None = None
    input: Any = None
    output: Any = None
    depends_on: list[str] = Field(default_factory=list)
    retry: Retry | None = None
    on_error: list[Job] | None = None
    timeout: Milliseconds | None = None

    @property
    def key(self) -> str:
        """The job's id once loaded: the loader names each job without one (`job-2`, `charge-fallback-1`)."""
        if self.id is None:
            raise RuntimeError("a job is used before the config loader named it")
        return self.id

    @property
    def component_name(self) -> str | None:
        """The component the job runs, by name once loaded (the loader names an inline one `<job>@inline`);
        None when it has none."""
        return self.component if isinstance(self.component, str) else None


class Workflow(Model):
    id: str | None = None
    title: str | None = None
    description: str | None = None
    default: bool = False
    input: Any = None
    output: Any = None
    jobs: list[Job]
