"""The tunnel manager: one supervised tunnel per gateway, and the answer to `${gateway:<port>.public_url}`."""

from __future__ import annotations

import asyncio
from typing import Any

from hookdeck_tui.bus import EventBus
from hookdeck_tui.config import models as m
from hookdeck_tui.expressions import Unavailable
from hookdeck_tui.tunnels import drivers
from hookdeck_tui.tunnels.supervisor import Supervisor, TunnelState


class TunnelManager:
    def __init__(self, bus: EventBus, *, url_timeout: float = 30.0, backoff: float = 0.5, backoff_cap: float = 30.0,
                 cloudflared_url: str | None = None, cloudflared_path: str | None = None) -> None:
        """`cloudflared_url`/`cloudflared_path`: where to fetch cloudflared from and keep it (default: what
        pycloudflared knows for this platform)."""
        self.bus = bus
        self.url_timeout = url_timeout
        self.backoff, self.backoff_cap = backoff, backoff_cap
        self.cloudflared_url, self.cloudflared_path = cloudflared_url, cloudflared_path
        self.tunnels: dict[int, Supervisor] = {}

    def add(self, gateway: m.HttpTunnelGateway | m.SshTunnelGateway) -> Supervisor:
        if gateway.type == "ssh-tunnel":
            driver, session = "ssh", drivers.ssh(gateway)
        elif gateway.driver == "cloudflare":
            driver = "cloudflare"
            session = drivers.cloudflare(gateway.port, url_timeout=self.url_timeout,
                                         download_url=self.cloudflared_url, download_to=self.cloudflared_path)
        else:
            driver = "ngrok"
            session = drivers.ngrok(gateway.port, authtoken=gateway.authtoken, url_timeout=self.url_timeout)
        state = TunnelState(f"{driver} :{gateway.port}", driver, gateway.port)
        supervisor = Supervisor(state, session, self.bus, backoff=self.backoff, backoff_cap=self.backoff_cap)
        self.tunnels[gateway.port] = supervisor
        supervisor.start()
        return supervisor

    async def stop(self) -> None:
        for supervisor in self.tunnels.values():
            await supervisor.stop()

    async def restart(self, port: int) -> bool:
        supervisor = self.tunnels.get(port)
        if supervisor is None:
            return False
        await supervisor.restart()
        return True

    def resolve(self, port: int) -> dict[str, Any] | None:
        """For `${gateway:<port>...}`: the public URL when online; a clear Unavailable when not (yet)."""
        supervisor = self.tunnels.get(port)
        if supervisor is None:
            return None
        state = supervisor.state
        if state.status != "online" or not state.public_url:
            why = f": {state.last_error}" if state.last_error else ""
            raise Unavailable(f"the {state.driver} tunnel on port {port} is {state.status}{why}")
        return {"public_url": state.public_url, "port": port}

    async def settled(self, timeout: float | None = None) -> None:
        """Wait (at most `timeout`, default the URL timeout) until no tunnel is still starting."""
        deadline = asyncio.get_running_loop().time() + (timeout or self.url_timeout)
        while any(s.state.status in ("starting", "reconnecting") for s in self.tunnels.values()):
            if asyncio.get_running_loop().time() >= deadline:
                return
            await asyncio.sleep(0.05)

    def states(self) -> list[dict[str, Any]]:
        return [supervisor.state.to_json() for supervisor in self.tunnels.values()]
