"""The three ways to a public address. Each returns a Session for the Supervisor: it runs until the tunnel is down,
raising TunnelFailed when retrying cannot help and TunnelDropped when it can."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookdeck_tui.config import models as m
from hookdeck_tui.tunnels.processes import CLOUDFLARE_URL, NGROK_FATAL, NGROK_URL, find_binary, run_process
from hookdeck_tui.tunnels.supervisor import Session, Supervisor, TunnelDropped, TunnelFailed

if TYPE_CHECKING:  # httpx takes ~50 ms to import and a console that forwards nothing never needs it: each use
    pass  # imports it (runtime.settle_after_start loads it off the loop once the console is up)

CLOUDFLARED_DOWNLOAD = "https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/"


def cloudflare(port: int, *, url_timeout: float, download_url: str | None = None,
               download_to: str | None = None) -> Session:
    async def session(supervisor: Supervisor) -> None:
        binary = await _cloudflared(supervisor, download_url, download_to)
        await run_process(supervisor, [binary, "tunnel", "--no-autoupdate", "--url", f"http://127.0.0.1:{port}"],
                          CLOUDFLARE_URL, url_timeout)

    return session


async def _cloudflared(supervisor: Supervisor, url: str | None, destination: str | None) -> str:
    import httpx

    """cloudflared from $HOOKTUI_CLOUDFLARED, PATH, or the copy pycloudflared manages — downloaded once when it is
    missing, with the progress in the tunnel's log (pycloudflared's own progress bar would draw over the TUI)."""
    found = find_binary("cloudflared", "HOOKTUI_CLOUDFLARED")
    if found:
        return found
    if url is None or destination is None:
        from pycloudflared import util

        try:
            info = util.get_info()
        except RuntimeError as exc:
            raise TunnelFailed(f"cloudflared is not installed and pycloudflared cannot fetch it here: {exc}") from exc
        if info.system == "darwin":
            raise TunnelFailed(f"cloudflared is not installed: install it ({CLOUDFLARED_DOWNLOAD}) or set "
                               f"HOOKTUI_CLOUDFLARED to its path")
        url, destination = url or info.url, destination or info.executable
    if Path(destination).is_file():
        return destination
    try:
        await download(url, Path(destination), supervisor.log)
    except (OSError, httpx.HTTPError) as exc:
        raise TunnelFailed(f"cloudflared is not installed and could not be downloaded ({exc or type(exc).__name__}; "
                           f"offline?): install it ({CLOUDFLARED_DOWNLOAD}) or set HOOKTUI_CLOUDFLARED to its "
                           f"path") from exc
    return destination


async def download(url: str, destination: Path, log: Callable[[str], None]) -> None:
    """Stream `url` to `destination` (atomically, made executable), logging progress every 10%."""
    import httpx

    partial = destination.with_suffix(destination.suffix + ".part")
    async with httpx.AsyncClient(follow_redirects=True, timeout=httpx.Timeout(30, connect=15)) as client, \
            client.stream("GET", url) as response:
        response.raise_for_status()
        total = int(response.headers.get("content-length") or 0)
        log(f"downloading cloudflared ({total / 1e6:.1f} MB) from {url}" if total else
            f"downloading cloudflared from {url}")
        received, reported = 0, 0
        with partial.open("wb") as handle:
            async for chunk in response.aiter_bytes():
                handle.write(chunk)
                received += len(chunk)
                if total and received * 10 // total > reported:
                    reported = received * 10 // total
                    log(f"downloading cloudflared: {reported * 10}%")
    partial.chmod(0o755)
    partial.replace(destination)
    log(f"cloudflared saved to {destination}")


def ngrok(port: int, *, authtoken: str | None, url_timeout: float) -> Session:
    async def session(supervisor: Supervisor) -> None:
        binary = find_binary("ngrok", "HOOKTUI_NGROK")
        if binary is None:
            raise TunnelFailed("ngrok is not installed: install it (https://ngrok.com/download) and set "
                               "NGROK_AUTHTOKEN, or set HOOKTUI_NGROK to its path")
        env = {"NGROK_AUTHTOKEN": authtoken} if authtoken else None
        await run_process(supervisor, [binary, "http", str(port), "--log", "stdout", "--log-format", "json"],
                          NGROK_URL, url_timeout, env, fatal=NGROK_FATAL)

    return session


def ssh(gateway: m.SshTunnelGateway, *, connect_timeout: float = 30) -> Session:
    """A reverse forward: the SSH server listens on `remote_port` and hands connections to the local port."""
    import asyncssh

    connection, auth = gateway.connection, gateway.connection.auth
    remote_port = gateway.remote_port or gateway.port
    where = f"{auth.username}@{connection.host}:{connection.port}"

    async def session(supervisor: Supervisor) -> None:
        options: dict[str, Any] = {"host": connection.host, "port": connection.port, "username": auth.username,
                         "keepalive_interval": gateway.keepalive_interval}
        if connection.known_hosts == "none":
            options["known_hosts"] = None
        elif connection.known_hosts:
            options["known_hosts"] = os.path.expanduser(connection.known_hosts)
        if auth.type == "keyfile" and auth.keyfile:  # the config refuses a keyfile auth without one
            options.update(client_keys=[os.path.expanduser(auth.keyfile)], passphrase=auth.passphrase,
                           password=None)
        else:
            if auth.password is None or "${" in auth.password:
                raise TunnelFailed(f"ssh {where}: the password is not set (is its environment variable set?)")
            options.update(password=auth.password, client_keys=None)
        supervisor.log(f"connecting to {where}")
        try:
            conn = await asyncio.wait_for(asyncssh.connect(**options), connect_timeout)
        except asyncssh.PermissionDenied as exc:
            raise TunnelFailed(f"ssh {where}: permission denied ({exc.reason})") from exc
        except asyncssh.HostKeyNotVerifiable as exc:
            raise TunnelFailed(f"ssh {where}: the server's host key is not trusted ({exc.reason}): add it to "
                               f"known_hosts, or set connection.known_hosts") from exc
        except (OSError, asyncssh.Error, TimeoutError) as exc:
            raise TunnelDropped(f"ssh {where}: cannot connect: {exc or type(exc).__name__}") from exc
        async with conn:
            try:
                listener = await conn.forward_remote_port(gateway.remote_host, remote_port, "127.0.0.1",
                                                          gateway.port)
            except asyncssh.Error as exc:
                raise TunnelDropped(f"ssh {where}: the server refused to listen on port {remote_port}: {exc}") from exc
            supervisor.log(f"forwarding {connection.host}:{listener.get_port()} → 127.0.0.1:{gateway.port}")
            supervisor.online(f"http://{connection.host}:{listener.get_port()}")
            await conn.wait_closed()
        raise TunnelDropped(f"ssh {where}: the connection closed")

    return session
