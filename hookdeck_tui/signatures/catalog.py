"""The names of the signature schemes hooktui knows, with their aliases."""

SCHEMES = (
    "modelriver", "github", "stripe", "slack", "standard-webhooks", "shopify", "twilio", "paddle", "linear",
    "twitch", "square", "discord", "hmac",
)
ALIASES = {"svix": "standard-webhooks", "standardwebhooks": "standard-webhooks", "mr": "modelriver"}
SCHEME_NAMES = SCHEMES + tuple(ALIASES)

# Where each provider's docs keep the secret: used when no secret is configured (never stored, never shown).
SECRET_ENV = {
    "modelriver": "MODELRIVER_WEBHOOK_SECRET", "github": "GITHUB_WEBHOOK_SECRET", "stripe": "STRIPE_WEBHOOK_SECRET",
    "slack": "SLACK_SIGNING_SECRET", "standard-webhooks": "WEBHOOK_SECRET", "shopify": "SHOPIFY_WEBHOOK_SECRET",
    "twilio": "TWILIO_AUTH_TOKEN", "paddle": "PADDLE_WEBHOOK_SECRET", "linear": "LINEAR_WEBHOOK_SECRET",
    "twitch": "TWITCH_EVENTSUB_SECRET", "square": "SQUARE_WEBHOOK_SIGNATURE_KEY", "discord": "DISCORD_PUBLIC_KEY",
}
