"""What happens to every request on a listener port, in this order:

1. admit it (max_concurrent_count) — or answer 503 + Retry-After;
2. read the raw body up to the limit — or answer 413;
3. verify its signature; 4. evaluate its route and hand the match to the workflow engine;
5. commit it to the store — only then answer (a 2xx means it is on disk; a failed commit answers 503);
6. forward it to the app (before answering when `respond: app`, after otherwise) and record the result.

Every request is captured, including rejected, unmatched and malformed ones.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hookdeck_tui.bus import EventBus
from hookdeck_tui.config import ListenerConfig, Route
from hookdeck_tui.config.models import ForwardTarget, RespondConfig
from hookdeck_tui.delivery.forward import HOP_BY_HOP, Forwarder, ForwardResult
from hookdeck_tui.listener.answer import Answer
from hookdeck_tui.listener.challenges import recognise
from hookdeck_tui.listener.evaluation import (
    evaluate_callback,
    evaluate_trigger,
    query_dict,
    request_scope,
    unsigned_trigger_refusal,
)
from hookdeck_tui.listener.gate import ConcurrencyGate
from hookdeck_tui.listener.routing import match_route, select_target
from hookdeck_tui.listener.simulate import Simulation
from hookdeck_tui.messages import EventStored, EventUpdated, LogLine
from hookdeck_tui.roundtrip import CALLBACK_PREFIX, RoundTrips
from hookdeck_tui.signatures import (
    SchemeOptions,
    SignatureVerdict,
    SignedRequest,
    detect,
    get_scheme,
    verify_request,
)
from hookdeck_tui.signatures.base import Scheme
from hookdeck_tui.signatures.secrets import candidates
from hookdeck_tui.store import CapturedEvent, RouteMatch, Store, StoreWriteError
from hookdeck_tui.workflows.engine import WorkflowEngine

ORIGIN_KEY = "hooktui.origin"  # ASGI scope keys of an in-process replay: (origin, origin_ref) of the event…
CAPTURED_KEY = "hooktui.captured"  # …and a list the pipeline puts the event it captured in

RESERVED_PREFIX = "/_hooktui/"
Scope = dict[str, Any]  # an ASGI scope
Receive = Callable[[], Awaitable[dict[str, Any]]]
_SAMPLE_OF_REJECTED = 64 * 1024


@dataclass
class VerifyDefaults:
    """What verifies requests whose route has no `verify:` block: the CLI's --scheme; --secret values are
    candidates on every route (with the route's own and the environment's); --enforce refuses bad ones on all."""

    scheme: str | None = None
    secrets: list[str] = field(default_factory=list)
    enforce: bool = False


@dataclass
class Services:
    store: Store
    bus: EventBus
    forwarder: Forwarder
    engine: WorkflowEngine
    verify_defaults: VerifyDefaults
    default_forward: list[ForwardTarget]
    round_trips: RoundTrips | None = None  # answers `/_hooktui/callback/<channel_id>`
    forward_events: list[str] | None = None  # `--events`: only events of these types are forwarded
    background: set[asyncio.Task[None]] = field(default_factory=set)


class Pipeline:
    def __init__(self, listener: ListenerConfig, services: Services) -> None:
        self.listener = listener
        self.services = services
        self.label = ""  # for display, `host:port`: set once the server has bound its port (`bound`)
        self.host = listener.host  # the listener's address as fields, stored on every event it receives
        self.port: int | None = listener.port or None  # port 0 until the server has bound a free one
        model = listener.model
        self.gate = ConcurrencyGate(listener.max_concurrent_count, model.max_queued_count, model.queue_timeout)
        self.answers = FixedAnswers()  # keyed by route: the routes live exactly as long as this pipeline
        self.simulation = Simulation()
        self._schemes: dict[tuple[str, int], Scheme] = {}
        self.body_deadlines = BodyDeadlines(model.body_timeout)
        self.challenges = getattr(model, "challenges", None)  # capture listeners only

    def bound(self, port: int) -> None:
        self.port = port
        self.label = f"{self.host}:{port}"

    async def __call__(self, scope: Scope, receive: Receive) -> Answer:
        received = self.services.store.clock()
        clock = time.perf_counter()
        event = self._event(scope, received)
        refused = await self.gate.acquire()
        if refused is not None:
            event.error = f"refused: {refused}"
            return await self._answer(event, _json_response(503, {"error": "busy", "detail": refused},
                                                            {"Retry-After": "1"}), clock)
        try:
            return await self._handle(scope, receive, event, clock)
        finally:
            self.gate.release()

    def _event(self, scope: Scope, received: float) -> CapturedEvent:
        client = scope.get("client")
        origin, origin_ref = scope.get(ORIGIN_KEY) or ("external", None)  # set by an in-process replay
        event = CapturedEvent(origin=origin, origin_ref=origin_ref,
            method=scope["method"], path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            .split("?", 1)[0], headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            body=b"", query=scope.get("query_string", b"").decode("latin-1"), received_at=received,
            listener=self.label, listener_host=self.host, listener_port=self.port,
            remote_addr=f"{client[0]}:{client[1]}" if client else "")
        captured = scope.get(CAPTURED_KEY)
        if captured is not None:  # an in-process replay reads its event back from here
            captured.append(event)
        return event

    async def _handle(self, scope: Scope, receive: Receive, event: CapturedEvent, clock: float) -> Answer:
        limit = self.listener.max_body_size
        chunks: list[bytes] = []
        task = asyncio.current_task()
        self.body_deadlines.start(task)
        try:
            over = await _read_body(scope, receive, limit, chunks)
            timed_out = False
        except ClientDisconnect:
            event.body = b"".join(chunks)
            event.error = "the client disconnected before sending the whole body"
            await self._commit(event, clock)
            return Answer(400)
        except asyncio.CancelledError:
            if not self.body_deadlines.timed_out(task):
                raise  # a shutdown, not the deadline
            timed_out = True
        finally:
            self.body_deadlines.done(task)
        if timed_out:
            event.body = b"".join(chunks)[:_SAMPLE_OF_REJECTED]
            event.error = (f"rejected: the client sent {_size(sum(map(len, chunks)))} of the body in "
                           f"{self.listener.model.body_timeout:g} s and no more (body_timeout)")
            return await self._answer(event, _json_response(408, {"error": "body too slow"}, {"Connection": "close"}),
                                      clock)
        body = b"".join(chunks)
        event.body = body
        if over:
            event.error = (f"rejected: the body is over the {_size(limit)} limit (max_body_size); the first "
                           f"{_size(len(body))} are kept")
            return await self._answer(event, _json_response(413, {"error": "body too large", "limit": limit}),
                                      clock)
        path = scope["path"]
        if path.startswith(CALLBACK_PREFIX) and self.services.round_trips is not None:
            channel = path[len(CALLBACK_PREFIX):]
            if channel and "/" not in channel:
                return await self._callback(event, channel, clock)
        if path.startswith(RESERVED_PREFIX):
            event.error = "hooktui's own path: not served on a listener port"
            return await self._answer(event, _json_response(404, {"error": "not found"}), clock)
        found = match_route(self.listener, event.method, path)
        route = found.route
        event.signature = self._verify(event, route, scope)
        if route is None:
            status = 405 if found.method_not_allowed else 404
            event.error = (f"no route for {event.method} {path}" +
                           (f" (allowed: {', '.join(found.allowed)})" if found.allowed else ""))
            headers = {"Allow": ", ".join(found.allowed)} if found.allowed else {}
            return await self._answer(event, _json_response(status, {"error": event.error}, headers), clock)
        event.route = route.label
        handshake = recognise(event, self.challenges) if route.kind == "capture" else None
        if handshake is not None:  # a provider's ownership challenge: its own checks, not `enforce`
            handshake.mark(event, route.label)
            return await self._answer(event, handshake.answer, clock)
        verify = route.verify
        if (self.services.verify_defaults.enforce or (verify is not None and verify.enforce)) \
                and event.signature.status != "valid":
            which = "`verify.enforce`" if verify is not None and verify.enforce else "--enforce"
            event.error = f"rejected: signature {event.signature.status} and {which} is on"
            return await self._answer(event, _json_response(401, {"error": "invalid signature",
                                                                  "detail": _public_reason(event.signature)}), clock)
        failure = self._evaluate(route, event)
        if failure is not None:
            return await self._answer(event, failure, clock)
        targets = route.forward or self.services.default_forward
        target = select_target(targets, event, self.services.forward_events) if targets else None
        if route.respond == "app" and target is not None:
            return await self._answer_from_app(event, route, target, clock)
        answered = await self._answer(event, self._route_answer(route, event, scope, receive), clock,
                                      forwarding=target is not None, route=route)
        if target is not None and event.id is not None:
            task = asyncio.create_task(self._forward_later(event, target))
            self.services.background.add(task)
            task.add_done_callback(self.services.background.discard)
        return answered

    def _route_answer(self, route: Route, event: CapturedEvent, scope: Scope, receive: Receive) -> Answer:
        """The route's fixed answer, or — when its `respond:` simulates a receiver — this request's, with what was
        answered and why stored on the event."""
        config = route.respond
        if not isinstance(config, RespondConfig) or not config.simulates:
            return self.answers.response(route)
        request = request_scope(event.body, event.headers, query_dict(event.query))
        answer, why = self.simulation.answer(config, event.headers, event.body, lambda c: c.render(request),
                                             receive, scope.get("hooktui.transport"))
        event.meta = {**(event.meta or {}), "simulated": why}
        return answer

    async def _callback(self, event: CapturedEvent, channel: str, clock: float) -> Answer:
        """A ModelRiver callback to a round trip the console started: checked, stored, then the trip ends."""
        round_trips = self.services.round_trips
        assert round_trips is not None  # only called when the console has round trips (see _handle)
        answer = round_trips.inspect(event, channel)
        response = await self._answer(event, _json_response(answer.status, answer.body), clock)
        if event.id is not None and response.status == answer.status:
            await round_trips.received(event)
            await round_trips.hold(channel, answer)  # `--callback-delay` / `--callback-answer none`
        return response

    def _verify(self, event: CapturedEvent, route: Route | None, scope: Scope) -> SignatureVerdict:
        defaults = self.services.verify_defaults
        config = route.verify if route is not None else None
        scheme = config.scheme if config is not None else defaults.scheme
        tolerance = config.tolerance if config is not None else None
        chosen = self._scheme(scheme, config)
        signed = SignedRequest(event.body, event.headers)
        effective = chosen or detect(signed)
        if effective is not None and effective.needs_url:  # only url-signed schemes pay for building the URL
            signed.url = (config.url if config is not None and config.url else None) or _url_as_received(scope)
        # every secret the user gave for this scheme: the route's, --secret's, the environment's (read now)
        secrets = candidates(effective.name, route.secrets if route is not None else (), defaults.secrets) \
            if effective is not None else []
        try:
            return verify_request(signed, scheme=effective, secrets=secrets, tolerance=tolerance,
                                  detected=chosen is None,  # detected once, above
                                  unset=[ref for ref, _ in route.unset_secrets] if route is not None else ())
        except Exception as exc:
            return SignatureVerdict(scheme, "malformed", f"verification failed unexpectedly: {exc}")

    def _scheme(self, name: str | None, config: Any) -> Scheme | None:
        """The scheme object for a route, built once (schemes are immutable once configured)."""
        if name is None:
            return None
        key = (name, id(config))
        scheme = self._schemes.get(key)
        if scheme is None:
            scheme = self._schemes[key] = get_scheme(name, SchemeOptions.of(config) if config is not None else None)
        return scheme

    def _evaluate(self, route: Route, event: CapturedEvent) -> Answer | None:
        """Evaluate a callback/trigger route into `event.match`; a 422 answer when its expressions fail."""
        if route.kind == "capture":
            return None
        status = event.signature.status if event.signature is not None else "unchecked"
        refused = unsigned_trigger_refusal(event.headers, status) if route.kind == "trigger" else None
        if refused is not None:
            event.error = refused
            return _json_response(415, {"error": "unsupported media type", "detail": refused})
        scope = request_scope(event.body, event.headers, query_dict(event.query))
        if route.kind == "callback":
            evaluation = evaluate_callback(route, scope)
            event.match = RouteMatch("callback", evaluation.items)
        else:
            evaluation = evaluate_trigger(route, scope)
            event.match = RouteMatch("trigger", evaluation.items, workflow=route.spec.workflow)
        if evaluation.error:
            event.match.error = event.error = evaluation.error
            return _json_response(422, {"error": f"cannot evaluate the {route.kind} route",
                                        "detail": evaluation.error})
        return None

    async def _hand_off(self, route: Route, event: CapturedEvent) -> Answer | None:
        """After the commit: callbacks go to their waiters, triggers start runs (and answer with their ids)."""
        if route.kind == "capture" or event.match is None or event.id is None:
            return None
        engine = self.services.engine
        response = None
        if route.kind == "callback":
            event.match.engine = [await engine.deliver_callback(route=route.label, key=i["key"], outcome=i["outcome"],
                                                                status=i["status"], result=i["result"], event=event)
                                  for i in event.match.items]
        else:
            runs = [await engine.start_run(workflow=i["workflow"], input=i["input"], event=event)
                    for i in event.match.items]
            event.match.engine = runs
            answers = [{"task_id": run.get("run_id"), "status": "triggered"} for run in runs]
            if not (event.meta or {}).get("simulated"):  # a simulated answer stands: the run started all the same
                response = _json_response(200, answers if route.spec.bulk else answers[0])
                event.response_status = response.status
        try:
            await self.services.store.update_event(event.id, match=event.match, response_status=event.response_status)
        except Exception as exc:
            self.services.bus.publish(LogLine("error", f"match not stored for event {event.id}: {exc}"))
        return response

    def _announce(self, event: CapturedEvent, *, final: bool, routed: bool) -> None:
        """EventStored (to whoever wants one a request), then, when a route handed it on, EventUpdated: its stored
        row now shows the route's outcome, for a list that read the row before the match was stored."""
        bus = self.services.bus
        if bus.wants(EventStored):  # a console's list reads the store instead: no message per request for it
            bus.publish(EventStored(event, final=final))
        if routed:
            bus.publish(EventUpdated(event, final=False))

    async def _commit(self, event: CapturedEvent, clock: float) -> bool:
        event.timings = {"handled_ms": round((time.perf_counter() - clock) * 1000, 3)}
        try:
            await self.services.store.append(event)
        except StoreWriteError as exc:
            self.services.bus.publish(LogLine("error", f"event not stored: {exc}"))
            return False
        return True

    async def _answer(self, event: CapturedEvent, response: Answer, clock: float, *,
                      forwarding: bool = False, route: Route | None = None) -> Answer:
        event.response_status = response.status
        if not await self._commit(event, clock):
            return _json_response(503, {"error": "the event could not be stored; it was not accepted"},
                                  {"Retry-After": "1"})
        if route is not None:
            response = await self._hand_off(route, event) or response
        response.headers.append((b"x-hooktui-event", str(event.id).encode()))
        self._announce(event, final=not forwarding, routed=route is not None)
        return response

    async def _answer_from_app(self, event: CapturedEvent, route: Route, target: ForwardTarget,
                               clock: float) -> Answer:
        event.response_status = None
        if not await self._commit(event, clock):
            return _json_response(503, {"error": "the event could not be stored; it was not accepted"},
                                  {"Retry-After": "1"})
        await self._hand_off(route, event)
        self._announce(event, final=False, routed=True)
        result = await self.services.forwarder.forward(event, target)
        if result.status is None:
            response = _json_response(502, {"error": "the app did not answer", "detail": result.error})
        else:
            dropped = HOP_BY_HOP | {"content-encoding", "content-length"}  # httpx decoded the body: new length
            headers = [(k, v) for k, v in result.headers if k.lower() not in dropped]
            response = Answer(result.status, result.body, headers)
        response.add_header("x-hooktui-event", str(event.id))
        await self._record_forward(event, result, response.status)
        return response

    async def _forward_later(self, event: CapturedEvent, target: ForwardTarget) -> None:
        result = await self.services.forwarder.forward(event, target)
        await self._record_forward(event, result, event.response_status)

    async def _record_forward(self, event: CapturedEvent, result: ForwardResult, status: int | None) -> None:
        event.forward = result.outcome()
        event.response_status = status
        try:
            if event.id is not None:  # forwarded only once stored
                await self.services.store.update_event(event.id, forward=event.forward, response_status=status)
        except StoreWriteError as exc:
            self.services.bus.publish(LogLine("error", f"forward result not stored: {exc}"))
        self.services.bus.publish(EventUpdated(event))


async def _read_body(scope: Scope, receive: Receive, limit: int, chunks: list[bytes]) -> bool:
    """Read the body into `chunks` (so a caller that gives up still has what arrived); True when it is over
    `limit`: then only its first bytes are kept and the rest is not read."""
    for name, declared in scope["headers"]:  # no Headers object
        if name == b"content-length":
            if declared.isdigit() and int(declared) > limit:
                return True
            break
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            kept = b"".join(chunks)[:_SAMPLE_OF_REJECTED]
            chunks[:] = [kept]
            return True
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return False


def _url_as_received(scope: Scope) -> str:
    """scheme://host/path?query as this request arrived (cheaper than building a starlette URL object)."""
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
    if host is None:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}"
    raw = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    return (f"{scope.get('scheme', 'http')}://{host}{raw.decode('latin-1')}" +
            (f"?{query.decode('latin-1')}" if query else ""))


class BodyDeadlines:
    """`body_timeout` for every request of a listener with one timer, not one per request: a sweep cancels the
    body reads that are past their deadline (a slow-loris body), marking them so the pipeline tells the deadline
    from a shutdown."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.reading: dict[asyncio.Task[Any], float] = {}
        self.expired: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def start(self, task: asyncio.Task[Any] | None) -> None:
        if task is None:  # not in a task (never under uvicorn): no deadline to keep
            return
        loop = asyncio.get_running_loop()
        self.reading[task] = loop.time() + self.seconds
        if self._timer is None:
            self._timer = loop.call_later(self._every(), self._sweep, loop)

    def done(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self.reading.pop(task, None)

    def timed_out(self, task: asyncio.Task[Any] | None) -> bool:
        if task is None or task not in self.expired:
            return False
        self.expired.discard(task)
        task.uncancel()
        return True

    def _every(self) -> float:
        return min(1.0, self.seconds / 4)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for task, deadline in list(self.reading.items()):
            if deadline <= now:
                del self.reading[task]
                self.expired.add(task)
                task.cancel()
        self._timer = loop.call_later(self._every(), self._sweep, loop) if self.reading else None


class ClientDisconnect(Exception):
    """The client went away before the whole body arrived."""


class FixedAnswers:
    """Each route's configured answer, serialized once (it is the same for every request)."""

    def __init__(self) -> None:
        self._rendered: dict[int, tuple[object, int, bytes, list[tuple[bytes, bytes]]]] = {}
        self._default = RespondConfig()

    def response(self, route: Route) -> Answer:
        rendered = self._rendered.get(id(route))
        if rendered is None or rendered[0] is not route.respond:  # the console may change a route's answer
            config = route.respond if isinstance(route.respond, RespondConfig) else self._default
            body = config.body
            if isinstance(body, (dict, list, int, float, bool)) or body is None:
                content, media = _json(body), "application/json"
            else:
                content, media = str(body).encode(), "text/plain; charset=utf-8"
            status = config.status if isinstance(config.status, int) else 200  # a fixed answer's is a 2xx number
            headers = Answer(status, content, {"content-type": media, **config.headers}.items()).headers
            rendered = self._rendered[id(route)] = (route.respond, status, content, headers)
        _, status, content, headers = rendered
        return Answer.raw(status, content, headers.copy())  # a copy: the event's id is added to it


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, _json(body), (headers or {}).items(), "application/json")


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), default=str).encode()


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _public_reason(verdict: SignatureVerdict) -> str:
    """What a refused sender is told. What the request itself lacks (a header, a fresh timestamp) helps whoever is
    building the sender; which secrets were tried, and from where (`--secret #2`, `$GITHUB_WEBHOOK_SECRET`,
    `verify.secret (hooktui.yaml:7)`, an unset `${env.NAME}`), is the listener's own business."""
    if verdict.status == "invalid":
        return "the signature does not match"
    if verdict.status == "unchecked":
        return "the request carries no signature" if verdict.scheme is None else "the signature could not be checked"
    return verdict.reason
