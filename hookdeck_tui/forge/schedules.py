"""How each provider re-delivers an event its receiver did not take (a non-2xx answer or no answer in time), for
`hooktui send --retries provider`. Each entry names its source; where a provider publishes no exact intervals,
the delays are hooktui's choice within what it does publish, and the entry says so (`documented=False`).

Every retry carries the same event: the same body bytes (so the same event id inside it) and the same delivery
id header (`X-GitHub-Delivery`, `webhook-id`, `X-Shopify-Webhook-Id`); a timestamped signature is made again at
the time of the attempt, as a provider signs each attempt when it sends it.
"""

from __future__ import annotations

from dataclasses import dataclass

TIME_SCALES = (0.0, 1000.0)  # 0.01 compresses a schedule 100 times; 0 sends the retries back to back


def parse_time_scale(text: str) -> float:
    """A schedule's time scale from what was typed (`--time-scale`, the forge dialog); ValueError saying why not."""
    what = "a time scale (0.01 compresses 100 times)"
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"`{text}` is not {what}") from None
    low, high = TIME_SCALES
    if not low <= value <= high:
        raise ValueError(f"{value}: give {what} from {low:g} to {high:g}")
    return value

@dataclass(frozen=True)
class RetrySchedule:
    provider: str
    delays: tuple[float, ...]  # seconds before each retry, counted from the failure of the attempt before it
    source: str
    documented: bool  # False: the provider gives a span, not the intervals: these are hooktui's
    note: str
    attempt_header: str | None = None  # the retry counter header, for a provider that sends one
    reason_header: str | None = None  # why it retries, for a provider that says
    stop: tuple[str, str] | None = None  # the answer header (name, value) that tells the provider to stop retrying

    @property
    def attempts(self) -> int:
        return 1 + len(self.delays)

    def stops(self, answer_headers: list[tuple[str, str]]) -> bool:
        """Did the receiver ask this provider to stop retrying?"""
        if self.stop is None:
            return False
        name, value = self.stop[0].lower(), self.stop[1].lower()
        return any(k.lower() == name and v.strip().lower() == value for k, v in answer_headers)

    def scaled(self, time_scale: float) -> list[float]:
        """The waits `--time-scale` leaves (0.01: a 5-minute wait takes 3 s)."""
        return [delay * time_scale for delay in self.delays]


def _doubling(first: float, count: int) -> tuple[float, ...]:
    return tuple(first * 2 ** k for k in range(count))


SCHEDULES: dict[str, RetrySchedule] = {s.provider: s for s in (
    RetrySchedule(
        "stripe", _doubling(60.0, 12), "https://docs.stripe.com/webhooks#automatic-retries", False,
        "Stripe retries live-mode events for up to three days with exponential backoff (a sandbox: three times "
        "over a few hours) without publishing the intervals; hooktui doubles from 1 minute, 12 retries, ~2.8 "
        "days. Same event id (evt_…) every time; each attempt is signed anew (Stripe-Signature t=)."),
    RetrySchedule(
        "github", (), "https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries", True,
        "GitHub does not redeliver failed deliveries automatically. A redelivery is manual (the Redeliver button "
        "or the REST API) and keeps the X-GitHub-Delivery id: rehearse it with --duplicate."),
    RetrySchedule(
        "standard-webhooks", (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0),
        "https://docs.svix.com/retries", True,
        "Svix (Standard Webhooks): immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after each "
        "failure. Same webhook-id every attempt, a new webhook-timestamp and signature; an answer with "
        "`webhook-delivery: abort-message` stops the retries.", stop=("webhook-delivery", "abort-message")),
    RetrySchedule(
        "shopify", _doubling(14400.0 / 255, 8), "https://shopify.dev/changelog/updates-to-webhook-retry-mechanism",
        False,
        "Shopify retries 8 times over 4 hours with exponential backoff, with the original payload and headers "
        "(X-Shopify-Triggered-At tells a stale one); the intervals are not published: hooktui doubles from ~56 s "
        "so the 8 retries span 4 hours."),
    RetrySchedule(
        "slack", (0.0, 60.0, 300.0), "https://api.slack.com/apis/events-api#retries", True,
        "Slack retries an Events API delivery 3 times: nearly at once, after 1 minute, after 5 minutes, each "
        "with X-Slack-Retry-Num and X-Slack-Retry-Reason; an answer with `X-Slack-No-Retry: 1` stops them.",
        "X-Slack-Retry-Num", "X-Slack-Retry-Reason", stop=("X-Slack-No-Retry", "1")),
    RetrySchedule(
        "modelriver", (30.0, 120.0, 600.0), "docs/rehearse-failure.md (no published schedule)", False,
        "ModelRiver's integration guides mention a retry policy without giving a schedule; hooktui's choice: 3 "
        "retries after 30 s, 2 min and 10 min, the same body (so the same mr-signature) every time."),
)}
ALIASES = {"svix": "standard-webhooks"}


class NoSchedule(LookupError):
    def __init__(self, scheme: str | None) -> None:
        what = f"{scheme} has" if scheme else "an unsigned event has"
        super().__init__(f"--retries provider: {what} no provider schedule (schedules: {', '.join(SCHEDULES)}); "
                         f"give a number of retries instead, e.g. --retries 3")


def schedule_for(scheme: str | None) -> RetrySchedule:
    found = SCHEDULES.get(ALIASES.get(scheme or "", scheme or ""))
    if found is None:
        raise NoSchedule(scheme)
    return found


def plain_schedule(retries: int, first: float = 1.0) -> RetrySchedule:
    """`--retries N`: N retries, doubling from 1 s (no provider's headers)."""
    return RetrySchedule("hooktui", _doubling(first, retries), "hooktui send --retries N", False,
                         f"{retries} retries, doubling from {first:g} s")
