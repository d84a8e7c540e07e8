"""`hooktui probe`: does the app verify its webhooks correctly? A battery of requests, each with the answer a correct
handler gives: a genuine event is accepted; no signature, another secret, a changed body are refused; a signature
over an EMPTY body or over a RE-ENCODED copy of the body is refused too (an app that accepts either verifies
something other than the raw bytes: a body parser ran before its verifier); a second delivery of the same event is
answered 2xx without a second record or callback; a stale timestamp is refused where the scheme signs one.

Every body is sent pretty-printed with a trailing newline, bytes no JSON library re-encodes to, so that an app that
verifies a re-encoding refuses the genuine event and the scorecard can say why."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from hookdeck_tui.bus import EventBus
from hookdeck_tui.delivery.outbound import expected_verdict, new_client, send_and_record
from hookdeck_tui.delivery.request import Outgoing
from hookdeck_tui.forge.build import Forged, ForgeSpec, forge, tamper, wrong_secret
from hookdeck_tui.forge.sending import answer_ok, send_forged
from hookdeck_tui.roundtrip import RoundTrips, callback_attempts
from hookdeck_tui.signatures import get_scheme
from hookdeck_tui.signatures.resign import replace_signature, signature_header_names
from hookdeck_tui.store import Store


@dataclass
class Check:
    name: str
    sent: str
    expect: str
    passed: bool | None = None  # None: does not apply (skipped)
    got: str = ""
    meaning: str = ""
    fix: str = ""
    events: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ProbeSettings:
    request_timeout: float = 10.0  # per request
    callback_timeout: float = 15.0  # how long to wait for the genuine event's callback
    settle: float = 2.0  # after the duplicate: how long more callbacks may take to arrive


def genuine_encoding(body: bytes) -> bytes:
    """The body as the probe sends it: pretty-printed, with a trailing newline (no re-encoding gives these bytes)."""
    try:
        value = json.loads(body)
    except ValueError:
        return body
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def reencodings(body: bytes) -> list[tuple[str, bytes]]:
    """What an app that parsed the body first signs: JSON.stringify's compact form, Python's json.dumps form."""
    try:
        value = json.loads(body)
    except ValueError:
        return []
    return [("compact (JSON.stringify(req.body) after express.json())",
             json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")),
            ("spaced (json.dumps(request.get_json()))", json.dumps(value).encode("utf-8"))]


class Prober:
    def __init__(self, store: Store, spec: ForgeSpec, round_trips: RoundTrips | None,
                 settings: ProbeSettings | None = None,
                 progress: Callable[[Check], Awaitable[None] | None] | None = None,
                 bus: EventBus | None = None) -> None:
        self.store, self.spec, self.round_trips, self.bus = store, spec, round_trips, bus
        self.settings = settings or ProbeSettings()
        self.progress = progress

    def _forge(self, variant: str | None = None) -> Forged:
        """A fresh event (new channel), its body re-encoded as the probe sends it and signed again."""
        spec = replace(self.spec, variant=variant)
        forged = forge(spec)
        if forged.scheme is None or self.spec.template.form:
            return forged
        body = genuine_encoding(forged.request.body)
        secret = forged.secret or ""
        if variant == "bad-signature":
            secret = wrong_secret(forged.scheme, secret)
        signed_over = body
        if variant == "tamper-body":
            body = tamper(body, form=False)
        stamp = int(time.time()) - (3600 if variant == "stale" else 0)
        headers = replace_signature(forged.request.headers, signed_over, forged.scheme, secret, stamp,
                                    f"msg_{secrets.token_hex(12)}", forged.request.url, self.spec.options)
        forged.request = Outgoing("POST", forged.request.url, headers, body)
        return forged

    def _signed_over(self, forged: Forged, signed: bytes) -> Outgoing:
        if forged.scheme is None:  # an unsigned template: nothing to sign over other bytes
            return forged.request
        headers = replace_signature(forged.request.headers, signed, forged.scheme, forged.secret or "",
                                    int(time.time()), f"msg_{secrets.token_hex(12)}", forged.request.url,
                                    self.spec.options)
        return Outgoing("POST", forged.request.url, headers, forged.request.body)

    async def _send(self, request: Outgoing, forged: Forged, name: str) -> tuple[int | None, str, int]:
        verdict = expected_verdict(request, forged.scheme, forged.secret, self.spec.options)
        async with new_client() as client:
            event, result = await send_and_record(self.store, client, request, origin="forged", verdict=verdict,
                                                  meta={"forged": {"template": forged.template, "probe": name}},
                                                  timeout=self.settings.request_timeout, bus=self.bus)
        if event.id is None:  # send_and_record stores the request before it sends it
            raise RuntimeError("the probe's request was not stored")
        return result.status, _got(result.status, result.error), event.id

    async def run(self) -> list[Check]:
        checks: list[Check] = []

        async def done(check: Check) -> None:
            checks.append(check)
            if self.progress is not None:
                outcome = self.progress(check)
                if asyncio.iscoroutine(outcome):
                    await outcome

        genuine, first_event = await self._genuine()
        await done(genuine)
        if first_event.response_status is None:  # nobody there: every other check would only say so again
            return checks
        await done(await self._duplicate(first_event, genuine))
        for check in await self._refusals():
            await done(check)
        return checks

    async def _genuine(self) -> tuple[Check, Any]:
        forged = self._forge()
        self._genuine_forged = forged
        check = Check("signed event", "the event signed correctly", "2xx")
        trips, channel = self.round_trips, forged.channel_id
        tracked = channel is not None and trips is not None
        event, result = await send_forged(self.store, forged, trips if tracked else None,
                                          options=self.spec.options, timeout=self.settings.request_timeout,
                                          trip_timeout=self.settings.callback_timeout, bus=self.bus)
        if event.id is not None:
            check.events.append(event.id)
        check.got = _got(result.status, result.error)
        check.passed = answer_ok(result.status, None)
        if check.passed:
            check.meaning = "the app accepts a genuine event"
        elif result.status in (400, 401, 403):
            check.meaning = ("a correctly signed event was refused: the app verifies other bytes than the body it "
                             "received (see the empty-body and re-encoded checks), or holds another secret")
            check.fix = ("verify the HMAC over the raw request bytes, before any JSON parsing, with the secret "
                         "the provider shows")
        else:
            check.meaning = "the app did not accept a genuine event"
            check.fix = "is the URL right, and the app running? (a bare origin gets the template's path)"
        if trips is not None and channel is not None and check.passed:
            trip = await trips.wait(channel, self.settings.callback_timeout)
            status = trip.status if trip is not None else "waiting"
            check.got += f"; callback: {status}"
        return check, event

    async def _duplicate(self, first_event: Any, genuine: Check) -> Check:
        forged = self._genuine_forged
        check = Check("duplicate delivery", "the same event again (same bytes, same signature)",
                      "2xx, no second record or callback")
        if not genuine.passed:
            check.got, check.meaning = "not sent", "needs the genuine event to be accepted first"
            return check
        status, got, event_id = await self._send(forged.request, forged, check.name)
        check.events.append(event_id)
        check.got = got
        if forged.channel_id is not None and self.round_trips is not None:
            await asyncio.sleep(self.settings.settle)
            attempts = list(callback_attempts(self.store, first_event.id))
            completed = [a for a in attempts if a["check"].get("outcome") in ("completed", "failed")]
            check.got += f"; {len(completed)} callback{'s' if len(completed) != 1 else ''} for the channel"
            ids = [((a["check"].get("added") or {}).get("id")) for a in completed]
            if len(completed) > 1:
                check.passed = False
                records = f" (data.id {', then '.join(json.dumps(i) for i in ids)})" if len(set(map(str, ids))) > 1 \
                    else ""
                check.meaning = (f"the app processed the redelivery again: a second record{records} and a second "
                                 f"callback. Providers redeliver when a 200 is lost")
                check.fix = ("make the handler idempotent on channel_id: a unique index, and answer 200 without "
                             "processing when the channel is already saved")
                return check
        check.passed = answer_ok(status, None)
        if check.passed:
            check.meaning = "a redelivery is answered 2xx and processed once"
        else:
            check.meaning = "a redelivery is not answered 2xx: the provider will keep retrying it"
            check.fix = "answer a duplicate 200 (and skip the work)"
        return check

    async def _refusals(self) -> list[Check]:
        checks = []
        base = self._forge()
        if base.scheme is None:
            return [Check("signature checks", "-", "-", None, "not sent",
                          "the event is unsigned (--scheme none): there is no verification to probe")]
        unsigned_headers = [(k, v) for k, v in base.request.headers
                            if k.lower() not in signature_header_names(base.scheme, self.spec.options)]
        cases = [("no signature", "the event without its signature headers",
                  Outgoing("POST", base.request.url, unsigned_headers, base.request.body),
                  "the app refuses an unsigned request", "reject a request whose signature header is missing"),
                 ("wrong secret", "the event signed with another secret", self._forge("bad-signature").request,
                  "the app checks the signature against its secret", "compare the HMAC with the expected one"),
                 ("tampered body", "the body changed after signing", self._forge("tamper-body").request,
                  "the app notices a changed body", "compute the HMAC over the body actually received")]
        for name, sent, request, meaning, fix in cases:
            checks.append(await self._refusal(name, sent, request, base, meaning,
                                              f"it accepted it: {fix}"))
        checks.append(await self._refusal(
            "empty-body signature", "the event with a signature computed over an empty body",
            self._signed_over(base, b""), base, "the app signs the body it received, not an empty one",
            "it accepted it: the app verifies an EMPTY body — a body parser consumed the request before the "
            "verifier read it (Phoenix: Plug.Parsers runs before the plug; keep the raw body with a "
            "body_reader; Express: express.json() before the verifier)"))
        variants = reencodings(base.request.body)
        if variants:
            check = Check("re-encoded signature", "the event with a signature computed over a re-encoded copy "
                                                  "of its body", "4xx")
            for label, encoded in variants:
                status, got, event_id = await self._send(self._signed_over(base, encoded), base, check.name)
                check.events.append(event_id)
                check.got = got
                check.passed = answer_ok(status, "re-encoded")
                if not check.passed and status is not None and 200 <= status < 300:
                    check.got = f"{got} for the {label} copy"
                    check.meaning = ("it accepted it: the app verifies a re-encoding of the parsed body, not the raw "
                                     "bytes — genuine events whose bytes differ from its re-encoding are refused")
                    check.fix = ("verify the raw bytes: express.raw() / request.text() / request.body() before "
                                 "parsing; never JSON.stringify(req.body) or json.dumps(parsed)")
                    break
            if check.passed:
                check.meaning = "the app verifies the raw bytes, not a re-encoding"
            elif not check.fix:
                check.meaning, check.fix = "no 4xx refusal", "refuse a request whose signature does not match (4xx)"
            checks.append(check)
        else:
            checks.append(Check("re-encoded signature", "-", "4xx", None, "not sent",
                                "the body is not JSON: there is no re-encoding to try"))
        tolerance = get_scheme(base.scheme, self.spec.options).tolerance
        if tolerance is None:
            checks.append(Check("stale timestamp", "-", "4xx", None, "not sent",
                                f"{base.scheme}'s signature covers the body only: an old event cannot be told from "
                                f"a new one, so this does not apply"))
        else:
            checks.append(await self._refusal(
                "stale timestamp", "the event signed with a timestamp an hour old", self._forge("stale").request,
                base, f"the app enforces the {tolerance:g} s tolerance",
                "it accepted it: reject a timestamp outside the tolerance (a replayed request)"))
        return checks

    async def _refusal(self, name: str, sent: str, request: Outgoing, base: Forged, meaning: str,
                       fix: str) -> Check:
        status, got, event_id = await self._send(request, base, name)
        check = Check(name, sent, "4xx", answer_ok(status, name), got, events=[event_id])
        if check.passed:
            check.meaning = meaning
        elif status is not None and 200 <= status < 300:
            check.fix = fix
            check.meaning = "the app accepted a request it should refuse"
        elif status in (404, 405):
            check.meaning, check.fix = f"{status} says the path or method is wrong", "check the URL"
        elif status is not None and status >= 500:
            check.meaning = "the app failed instead of refusing"
            check.fix = "refuse with 401 (a length check before a constant-time compare avoids a throw)"
        else:
            check.meaning, check.fix = "no refusal", "answer a request you refuse with 401"
        return check


def _got(status: int | None, error: str | None) -> str:
    return str(status) if status is not None else f"no answer ({error})"


def scorecard(checks: list[Check]) -> list[str]:
    lines = []
    for check in checks:
        mark = {True: "PASS", False: "FAIL", None: "SKIP"}[check.passed]
        lines.append(f"{mark}  {check.name:<21} sent: {check.sent}; expect {check.expect}; got {check.got}")
        if check.meaning:
            lines.append(f"      {check.meaning}")
        if check.fix and check.passed is False:
            lines.append(f"      fix: {check.fix}")
    failed = sum(1 for c in checks if c.passed is False)
    passed = sum(1 for c in checks if c.passed)
    lines.append(f"{passed} passed, {failed} failed, {len(checks) - passed - failed} skipped")
    return lines
