"""The names of the signature schemes hooktui knows, with their aliases (SPEC §4)."""

SCHEMES = (
    "modelriver", "github", "stripe", "slack", "standard-webhooks", "shopify", "twilio", "paddle", "linear",
    "twitch", "square", "discord", "hmac",
)
ALIASES = {"svix": "standard-webhooks", "standardwebhooks": "standard-webhooks", "mr": "modelriver"}
SCHEME_NAMES = SCHEMES + tuple(ALIASES)
