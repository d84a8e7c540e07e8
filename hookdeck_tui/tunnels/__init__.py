"""Tunnels that give a listener a public address (SPEC §3.3): Cloudflare quick tunnels, ngrok, SSH reverse
forwards — started, watched, restarted with backoff, and never able to take the listener or the UI down."""
