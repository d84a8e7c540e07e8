"""The ModelRiver round trip: a forged `task.ai_generated` event carries a `callback_url` on the console's own
listener (`/_hooktui/callback/<channel_id>`); the app does its work and POSTs the callback with
`Authorization: Bearer <MODELRIVER_API_KEY>` — before it answers (an inline handler) or after (a background job).

- `contract.py`: what a callback must look like, and the check of one callback against it;
- `plan.py`: how the callback route answers on purpose (`--callback-answer`, `--callback-delay`);
- `service.py`: `RoundTrips`, the service the listener is handed: it records round trips in the store (so a
  `hooktui send` in one terminal and a console in another share them), checks and answers each callback and wakes
  whoever waits;
- `attempts.py`: the callbacks an event received, as the console and `hooktui show` list them;
- `tunnel.py`: a public URL for the callback when the app is not local.
"""

from hookdeck_tui.roundtrip.attempts import callback_attempts, describe_attempt
from hookdeck_tui.roundtrip.contract import (
                                            API_KEY_ENV,
                                            CALLBACK_PREFIX,
                                            OUTCOMES,
                                            CallbackCheck,
                                            check_callback,
                                            describe_parts,
)
from hookdeck_tui.roundtrip.plan import CallbackAnswer, CallbackPlan, PlanError, parse_seconds
from hookdeck_tui.roundtrip.service import DEFAULT_TIMEOUT, RoundTrips

__all__ = [
    "API_KEY_ENV", "CALLBACK_PREFIX", "DEFAULT_TIMEOUT", "OUTCOMES", "CallbackAnswer", "CallbackCheck", "CallbackPlan",
    "PlanError", "RoundTrips", "callback_attempts", "check_callback", "describe_attempt", "describe_parts",
    "parse_seconds",
]
