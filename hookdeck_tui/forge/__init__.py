"""Forging events: templates of real providers' webhooks, `--set` overrides, signing (correctly or
deliberately wrongly), sending, and tracking the ModelRiver round trip. Nothing here imports Textual."""
