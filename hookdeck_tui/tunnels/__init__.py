"""Tunnels that give a listener a public address: Cloudflare quick tunnels, ngrok, SSH reverse
forwards — started, watched, restarted with backoff, and never able to take the listener or the UI down."""
