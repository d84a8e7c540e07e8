"""A public URL for the round trip's callback: an app hosted in the cloud (a Convex HTTP action, a Vercel function)
cannot call back `127.0.0.1`, so `hooktui send --wait --tunnel ...` opens a tunnel to its callback listener and puts
the tunnel's URL in `callback_url`. Also: the warning when a loopback callback goes to an app that is not local."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from hookdeck_tui.config import Config
from hookdeck_tui.config.models import HttpTunnelGateway, SshTunnelGateway

if TYPE_CHECKING:  # the console imports the round trip
    from hookdeck_tui.console import Console


class TunnelDown(RuntimeError):
    """The callback tunnel did not come online; the message says why."""


def callback_tunnel(driver: str | None, config: Config) -> HttpTunnelGateway | SshTunnelGateway | None:
    """What `--tunnel DRIVER` opens (its port is set once the callback listener has one): cloudflare and ngrok need
    nothing more; ssh uses the config's `ssh-tunnel` gateway (host, user, key)."""
    if driver is None:
        return None
    if driver in ("cloudflare", "ngrok"):
        return HttpTunnelGateway.model_validate({"type": "http-tunnel", "driver": driver, "port": 1})
    found = next((g for g in config.gateways if isinstance(g, SshTunnelGateway)), None)
    if found is None:
        raise ValueError("--tunnel ssh needs an `ssh-tunnel` gateway in the config (host, user, key or password)")
    return found


async def open_callback_tunnel(console: Console, gateway: HttpTunnelGateway | SshTunnelGateway, *,
                               human: bool) -> str:
    """Open `gateway` to the console's first listener and return its public URL (TunnelDown when it fails)."""
    port = console.servers[0].port
    supervisor = console.tunnels.add(gateway.model_copy(update={"port": port}))
    await console.tunnels.settled()
    state = supervisor.state
    if state.status != "online" or not state.public_url:
        why = f": {state.last_error}" if state.last_error else ""
        raise TunnelDown(f"the {state.driver} tunnel for the callback did not come online ({state.status}{why})")
    if human:
        print(f"  callback tunnel ({state.driver}) online: {state.public_url} → 127.0.0.1:{port}", flush=True)
    return state.public_url


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_warning(target: str, callback_base: str | None) -> str | None:
    """An app that is not on this machine cannot reach a loopback `callback_url`: say so before sending."""
    if not callback_base or not is_loopback(callback_base) or is_loopback(target):
        return None
    return (f"the callback_url is on {urlsplit(callback_base).netloc}, which {urlsplit(target).hostname} cannot "
            f"reach: use --tunnel cloudflare|ngrok|ssh (or --callback-url with a public URL)")
