"""Sending a forged event: one step shared by `hooktui send` and the forge screen. The event is kept (origin
"forged") with the verdict the app should reach, and a ModelRiver event that asks for a callback starts a round
trip."""

from __future__ import annotations

from hookdeck_tui.bus import EventBus
from hookdeck_tui.delivery.forward import ForwardResult
from hookdeck_tui.delivery.outbound import DEFAULT_TIMEOUT, expected_verdict, new_client, send_and_record
from hookdeck_tui.forge.build import Forged
from hookdeck_tui.roundtrip import CallbackPlan, RoundTrips
from hookdeck_tui.signatures import SchemeOptions
from hookdeck_tui.store import CapturedEvent, EventMeta, Store


async def send_forged(store: Store, forged: Forged, round_trips: RoundTrips | None, *,
                      options: SchemeOptions | None = None, timeout: float = DEFAULT_TIMEOUT,
                      trip_timeout: float | None = None,
                      plan: CallbackPlan | None = None,
                      meta: EventMeta | None = None,
                      bus: EventBus | None = None) -> tuple[CapturedEvent, ForwardResult]:
    verdict = expected_verdict(forged.request, forged.scheme, forged.secret or "", options)
    meta = {"forged": {"template": forged.template, "variant": forged.variant, "notes": forged.notes}, **(meta or {})}
    if forged.channel_id:
        meta["round_trip"] = {"channel_id": forged.channel_id}
    channel = forged.channel_id if forged.variant is None else None  # a broken variant starts no round trip
    tracked = round_trips if channel is not None else None

    async def begin(event: CapturedEvent) -> None:
        if tracked is not None and channel is not None:
            await tracked.begin(channel, event, timeout=trip_timeout, plan=plan)

    async with new_client() as client:
        event, result = await send_and_record(store, client, forged.request, origin="forged", verdict=verdict,
                                              meta=meta, timeout=timeout, before_sending=begin, bus=bus)
    if tracked is not None and channel is not None:
        await tracked.answered(channel, event)
    return event, result


def answer_ok(status: int | None, variant: str | None) -> bool:
    """Did the app do what it should: accept a good event (2xx), refuse a broken one (4xx)?"""
    if status is None:
        return False
    if variant:  # a refusal: 404/405 say the path or method is wrong, not that the request was checked
        return 400 <= status < 500 and status not in (404, 405)
    return 200 <= status < 300


REFUSED_HINT = ("a correctly signed event was refused. What usually causes it: the app verifies something other "
                "than the raw body bytes (a body parser ran first and the app signs a re-encoded or empty body), "
                "or it has another secret, or it reads another header. `hooktui probe URL` tells which.")


def refused_genuine(status: int | None, variant: str | None, scheme: str | None) -> bool:
    """A correctly signed event answered 401/403: the app's verification, not the event, is wrong."""
    return variant is None and scheme is not None and status in (400, 401, 403)
