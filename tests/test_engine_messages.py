"""The engine's typed messages, from real publishers: what the listener and the door publish when a stored event
changes (EventUpdated is the one signal a face has that rows it shows changed), subscriptions by message class,
and the SSE stream's wire format, which stays what it was when the payloads were dicts."""

from __future__ import annotations

import json

from hookdeck_tui.bus import EventBus
from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.forge.build import ForgeSpec, forge
from hookdeck_tui.forge.templates import get_template
from hookdeck_tui.inspection import sse_frame
from hookdeck_tui.messages import (
    EventStored,
    EventUpdated,
    JobChanged,
    LogLine,
    RoundTripChanged,
    RunChanged,
    StorePruned,
    TunnelChanged,
    TunnelLogLine,
)
from hookdeck_tui.store import CapturedEvent, RoundTrip
from tests.receiver import Receiver
from tests.waiting import wait_until

TRIGGER = """\
listener: {type: http-trigger, port: 0, path: /go, workflow: w}
components: {note: {type: logger, message: "hello"}}
workflow: {id: w, jobs: [{id: log, component: note}]}
"""


async def test_the_listener_says_a_stored_event_changed_when_its_route_match_is_stored(harness) -> None:
    """The match (and the run it started) is stored just after the event: a list that read the row in between
    learns of it from EventUpdated — the counter the store kept for it is gone."""
    console = await harness.console(TRIGGER, inspection_port=None)
    updates = console.bus.subscribe(kinds={EventUpdated})
    response = await harness.http.post(console.listener_urls[0] + "/go", json={"x": 1})
    event_id = int(response.headers["x-hooktui-event"])
    await wait_until(lambda: not updates.queue.empty())
    message = updates.queue.get_nowait().message
    assert isinstance(message, EventUpdated) and message.event.id == event_id and message.final is False
    assert message.event.match.run_ids and harness.store.get(event_id).match == message.event.match
    assert not hasattr(harness.store, "updates")


async def test_a_send_through_the_door_is_announced_stored_then_answered(harness) -> None:
    """A forged event sent by a Console that listens for nothing: EventStored (no answer yet), then EventUpdated
    with the app's answer — the sequence a forwarded request has, so `listen` and the SSE stream print it once."""
    receiver = Receiver(answers=[(202, b"{}")])
    url = await receiver.start()
    console = Console(parse_config("listener: {type: capture, port: 0}\n", "t.yaml"), harness.store,
                      inspection_port=None)
    seen = console.bus.subscribe(kinds={EventStored, EventUpdated, LogLine})
    try:
        forged = forge(ForgeSpec(get_template("github.push"), url + "/hook", secret="s3cret"))
        event, result = await console.send(forged)
    finally:
        await receiver.stop()
        await console.stop()
    messages = [queued.message for queued in seen.drain()]
    assert [type(m) for m in messages] == [EventStored, EventUpdated]
    assert [m.final for m in messages] == [False, True]
    assert all(m.event.id == event.id for m in messages)
    assert messages[1].event.response_status == 202 == result.status


def test_subscriptions_are_by_message_class() -> None:
    bus = EventBus()
    logs = bus.subscribe(kinds={LogLine})
    everything = bus.subscribe()
    bus.publish(LogLine("info", "one"))
    bus.publish(StorePruned(3))
    assert [q.message for q in logs.drain()] == [LogLine("info", "one")]
    assert [q.message for q in everything.drain()] == [LogLine("info", "one"), StorePruned(3)]
    assert bus.wants(LogLine) and bus.wants(EventStored)  # `everything` takes any kind
    everything.close()
    assert not bus.wants(EventStored)


def frame(message) -> tuple[str, dict]:
    kind, data = sse_frame(message).decode().removesuffix("\n\n").split("\n")
    return kind.removeprefix("event: "), json.loads(data.removeprefix("data: "))


def test_the_sse_stream_keeps_its_wire_format_for_every_kind() -> None:
    """Each kind's `event:` name and payload keys, as the stream sent them when messages were dicts."""
    event = CapturedEvent("POST", "/x", [("a", "b")], b"{}", id=7)
    assert frame(EventStored(event, final=False)) == ("event", {"event": event.summary_json(), "final": False})
    assert frame(EventUpdated(event)) == ("event-updated", {"event": event.summary_json(), "final": True})
    assert frame(LogLine("error", "oops")) == ("log", {"level": "error", "message": "oops"})
    assert frame(LogLine("info", "hi", data={"k": 1}, run_id="run_1", job="log")) == (
        "log", {"level": "info", "message": "hi", "data": {"k": 1}, "run_id": "run_1", "job": "log"})
    assert frame(TunnelChanged("cloudflare :8090", "cloudflare", 8090, "online", "https://x.trycloudflare.com")) == (
        "tunnel", {"name": "cloudflare :8090", "driver": "cloudflare", "port": 8090, "status": "online",
                   "public_url": "https://x.trycloudflare.com", "last_error": None, "restarts": 0})
    assert frame(TunnelLogLine("cloudflare :8090", "up")) == ("tunnel-log", {"tunnel": "cloudflare :8090",
                                                                             "line": "up"})
    assert frame(RunChanged("run_1", "w", "succeeded", output={"ok": True})) == (
        "run", {"run_id": "run_1", "workflow": "w", "status": "succeeded", "output": {"ok": True}, "error": None})
    assert frame(JobChanged("run_1", "log", "started")) == ("job", {"run_id": "run_1", "job": "log",
                                                                    "state": "started", "detail": None})
    trip = RoundTrip("ch_1", 3, 10.0, 310.0, "completed", 4, {"check": {"auth": "ok"}})
    assert frame(RoundTripChanged(trip)) == ("round-trip", {"trip": {
        "channel_id": "ch_1", "event_id": 3, "started_at": 10.0, "deadline": 310.0, "status": "completed",
        "callback_event": 4, "detail": {"check": {"auth": "ok"}}}})
    assert frame(StorePruned(4)) == ("store-pruned", {"removed": 4})


async def test_a_routed_request_is_announced_stored_before_updated(harness) -> None:
    """An SSE client reads `event` before the `event-updated` of the same id: the route's outcome is stored after
    the event, and said after it."""
    console = await harness.console(TRIGGER, inspection_port=None)
    seen = console.bus.subscribe(kinds={EventStored, EventUpdated})
    response = await harness.http.post(console.listener_urls[0] + "/go", json={"x": 1})
    event_id = int(response.headers["x-hooktui-event"])
    await wait_until(lambda: seen.queue.qsize() >= 2)
    messages = [queued.message for queued in seen.drain() if queued.message.event.id == event_id]
    assert [type(m) for m in messages[:2]] == [EventStored, EventUpdated]
    assert messages[1].event.match.run_ids
