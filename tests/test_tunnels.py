"""Tunnels: SSH reverse forwards against a real OpenSSH server started on a loopback port (with a request that
travels through the tunnel, and a reconnect after the server restarts); Cloudflare and ngrok against fake
executables that print what the real ones print and forward on loopback (the real binaries cannot be downloaded
here): URL discovery, crash and restart with backoff, no URL (timeout), and a missing binary."""

from __future__ import annotations

import getpass
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from hookdeck_tui.config import parse_config
from hookdeck_tui.console import Console
from hookdeck_tui.messages import TunnelChanged
from hookdeck_tui.store import Store
from tests.conftest import FAKE
from tests.waiting import wait_until

SSHD = "/usr/sbin/sshd"
FAST = {"url_timeout": 2.0, "backoff": 0.05, "backoff_cap": 0.2}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.store = Store(tmp_path / "t.db")
        self.console: Console | None = None

    async def start(self, yaml_text: str, **options) -> Console:
        self.console = Console(parse_config(yaml_text, "t.yaml"), self.store, inspection_port=None,
                               tunnel_settings=options.pop("tunnel_settings", FAST), **options)
        await self.console.start()
        return self.console

    def tunnel(self, port: int | None = None):
        tunnels = self.console.tunnels.tunnels
        return tunnels[port] if port is not None else next(iter(tunnels.values()))

    async def close(self) -> None:
        if self.console is not None:
            await self.console.stop()
        self.store.close()


@pytest.fixture
async def setup(tmp_path: Path):
    s = Setup(tmp_path)
    yield s
    await s.close()


async def test_cloudflare_url_discovery_and_traffic_through_the_tunnel(setup: Setup, fake_binaries: Path) -> None:
    console = await setup.start("listener: {type: capture, port: 0}\n", tunnels=("cloudflare",))
    tunnel = setup.tunnel()
    await wait_until(lambda: tunnel.state.status == "online")
    assert re.fullmatch(r"https://fake-[0-9a-f]{8}-tunnel\.trycloudflare\.com", tunnel.state.public_url)
    port = console.servers[0].port
    assert console.tunnels.resolve(port) == {"public_url": tunnel.state.public_url, "port": port}
    assert any("Your quick Tunnel has been created" in line for line in tunnel.state.log)
    relay = int(fake_binaries.read_text())
    async with httpx.AsyncClient() as client:
        response = await client.post(f"http://127.0.0.1:{relay}/through/tunnel", content=b'{"via": "tunnel"}')
    assert response.status_code == 200
    assert setup.store.get(int(response.headers["X-Hooktui-Event"])).body == b'{"via": "tunnel"}'


async def test_ngrok_from_config_with_authtoken(setup: Setup, fake_binaries: Path) -> None:
    port = free_port()
    await setup.start(f"listener: {{type: capture, port: {port}}}\n"
                      f"gateway: {{type: http-tunnel, driver: ngrok, port: {port}, authtoken: tok_123}}\n")
    tunnel = setup.tunnel(port)
    await wait_until(lambda: tunnel.state.status == "online")
    assert re.fullmatch(r"https://[0-9a-f]{12}\.ngrok-free\.app", tunnel.state.public_url)


async def test_ngrok_refused_authtoken_fails_without_retrying(setup: Setup, fake_binaries: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NGROK_AUTHTOKEN", raising=False)
    await setup.start("listener: {type: capture, port: 0}\n", tunnels=("ngrok",))
    tunnel = setup.tunnel()
    await wait_until(lambda: tunnel.state.status == "failed")
    assert "ngrok refused to start" in tunnel.state.last_error and "ERR_NGROK_4018" in tunnel.state.last_error
    assert tunnel.state.restarts == 0


async def test_a_failed_tunnel_restarts_on_request_once_the_cause_is_fixed(setup: Setup, fake_binaries: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NGROK_AUTHTOKEN", raising=False)
    console = await setup.start("listener: {type: capture, port: 0}\n", tunnels=("ngrok",))
    tunnel = setup.tunnel()
    await wait_until(lambda: tunnel.state.status == "failed")
    monkeypatch.setenv("NGROK_AUTHTOKEN", "tok_fixed")  # the user fixes it, then asks for a restart
    assert await console.tunnels.restart(tunnel.state.port)
    await wait_until(lambda: tunnel.state.status == "online")
    assert tunnel.state.last_error is None and tunnel.state.public_url.endswith(".ngrok-free.app")
    assert any("restart requested" in line for line in tunnel.state.log)
    assert not await console.tunnels.restart(1)  # no tunnel on that port


async def test_a_crashing_tunnel_restarts_with_backoff(setup: Setup, fake_binaries: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_TUNNEL_MODE", "crash")
    monkeypatch.setenv("FAKE_TUNNEL_CRASH_AFTER", "0.2")
    console = await setup.start("listener: {type: capture, port: 0}\n", tunnels=("cloudflare",))
    seen = console.bus.subscribe(kinds={TunnelChanged})
    tunnel = setup.tunnel()
    await wait_until(lambda: tunnel.state.restarts >= 3, timeout=20)
    statuses = []
    while not seen.queue.empty():
        statuses.append(seen.queue.get_nowait().message.status)
    assert "online" in statuses and "reconnecting" in statuses
    assert statuses.index("online") < statuses.index("reconnecting")
    assert tunnel.state.last_error == "cloudflared exited with status 1"
    assert any("retrying in" in line for line in tunnel.state.log)
    async with httpx.AsyncClient() as client:  # the listener is untouched by all this
        assert (await client.get(console.listener_urls[0])).status_code == 200


async def test_no_url_in_time_is_reported_and_retried(setup: Setup, fake_binaries: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_TUNNEL_MODE", "no-url")
    await setup.start("listener: {type: capture, port: 0}\n", tunnels=("cloudflare",),
                      tunnel_settings={**FAST, "url_timeout": 0.5})
    tunnel = setup.tunnel()
    await wait_until(lambda: tunnel.state.restarts >= 1)
    assert tunnel.state.last_error == "cloudflared printed no public URL within 0.5 s"


async def test_missing_cloudflared_offline_says_how_to_install(setup: Setup, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("HOOKTUI_CLOUDFLARED", raising=False)
    unreachable = f"http://127.0.0.1:{free_port()}/cloudflared-linux-amd64"  # nothing listens: as when offline
    console = await setup.start("listener: {type: capture, port: 0}\n", tunnels=("cloudflare",), tunnel_settings={
        **FAST, "cloudflared_url": unreachable, "cloudflared_path": str(tmp_path / "cloudflared")})
    tunnel = setup.tunnel()
    await wait_until(lambda: tunnel.state.status == "failed")
    assert tunnel.state.last_error.startswith("cloudflared is not installed and could not be downloaded (")
    assert "offline?): install it (https://developers.cloudflare.com/" in tunnel.state.last_error
    assert tunnel.state.last_error.endswith("or set HOOKTUI_CLOUDFLARED to its path")
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{console.listener_urls[0]}/still/works", content=b"1")).status_code == 200


async def test_missing_cloudflared_is_downloaded_with_progress(setup: Setup, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A real HTTP server on loopback serves the 'release'; the tunnel downloads it, reports progress, runs it."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.delenv("HOOKTUI_CLOUDFLARED", raising=False)
    monkeypatch.setenv("FAKE_TUNNEL_INFO", str(tmp_path / "relay-port"))
    release = f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" cloudflared "$@"\n'.encode() + b"#" * 200_000

    async def serve(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(release)).encode())]})
        for start in range(0, len(release), 16_384):
            await send({"type": "http.response.body", "body": release[start:start + 16_384], "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    from hookdeck_tui.listener.server import ListenerServer

    releases = ListenerServer(serve, "127.0.0.1", 0, name="releases")
    await releases.start()
    try:
        target = tmp_path / "managed" / "cloudflared"
        target.parent.mkdir()
        await setup.start("listener: {type: capture, port: 0}\n", tunnels=("cloudflare",), tunnel_settings={
            **FAST, "cloudflared_url": f"{releases.url}/cloudflared", "cloudflared_path": str(target)})
        tunnel = setup.tunnel()
        await wait_until(lambda: tunnel.state.status == "online")
        log = [line.split(" ", 1)[1] for line in tunnel.state.log]
        assert f"downloading cloudflared (0.2 MB) from {releases.url}/cloudflared" in log
        progress = [int(line.rsplit(" ", 1)[1][:-1]) for line in log if line.startswith("downloading cloudflared: ")]
        assert len(progress) >= 3 and progress == sorted(set(progress)) and progress[-1] == 100
        assert target.read_bytes() == release and os.access(target, os.X_OK)
    finally:
        await releases.stop()


async def test_hooktui_cloudflared_pointing_nowhere(setup: Setup, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKTUI_CLOUDFLARED", str(tmp_path / "nope"))
    await setup.start("listener: {type: capture, port: 0}\n", tunnels=("cloudflare",))
    tunnel = setup.tunnel()
    await wait_until(lambda: tunnel.state.status == "failed")
    assert tunnel.state.last_error == f"$HOOKTUI_CLOUDFLARED points at {tmp_path / 'nope'}, which does not exist"


# --- SSH against a real OpenSSH server ------------------------------------------------------------------

class SshServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        for name in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / name)], check=True)
        (root / "authorized_keys").write_text((root / "client_key.pub").read_text())
        host_public = (root / "host_key.pub").read_text().split()[:2]
        (root / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {' '.join(host_public)}\n")
        (root / "sshd_config").write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {root / 'host_key'}",
            f"PidFile {root / 'sshd.pid'}", f"AuthorizedKeysFile {root / 'authorized_keys'}", "StrictModes no",
            "PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "UsePAM no", "AllowTcpForwarding yes", "GatewayPorts no", "ClientAliveInterval 5", ""]))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege-separation directory
        self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.root / "sshd_config")],
                                        stderr=subprocess.DEVNULL)
        for _ in range(200):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited with {self.process.returncode} while starting")
            time.sleep(0.02)
        raise RuntimeError("sshd did not start listening")

    def stop(self) -> None:
        """End the daemon and every per-connection process it forked, as a server restart does."""
        if self.process is None or self.process.poll() is not None:
            return
        for pid in [*_descendants(self.process.pid), self.process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.fixture
def sshd(tmp_path: Path):
    if not Path(SSHD).exists() or shutil.which("ssh-keygen") is None:
        pytest.fail("OpenSSH's server is needed (.ci/run installs openssh-server)")
    server = SshServer(tmp_path)
    server.start()
    yield server
    server.stop()


def ssh_config(listen_port: int, remote_port: int, server: SshServer) -> str:
    return f"""
listener: {{type: capture, port: {listen_port}}}
gateway:
  type: ssh-tunnel
  port: {listen_port}
  remote_port: {remote_port}
  keepalive_interval: 1
  connection:
    host: 127.0.0.1
    port: {server.port}
    known_hosts: {server.root / 'known_hosts'}
    auth: {{type: keyfile, username: {getpass.getuser()}, keyfile: {server.root / 'client_key'}}}
"""


async def test_ssh_reverse_tunnel_carries_requests_and_reconnects(setup: Setup, sshd: SshServer) -> None:
    listen_port, remote_port = free_port(), free_port()
    await setup.start(ssh_config(listen_port, remote_port, sshd))
    tunnel = setup.tunnel(listen_port)
    await wait_until(lambda: tunnel.state.status == "online", timeout=20)
    assert tunnel.state.public_url == f"http://127.0.0.1:{remote_port}"
    async with httpx.AsyncClient() as client:
        response = await client.post(f"http://127.0.0.1:{remote_port}/via/ssh", content=b"through sshd")
        assert response.status_code == 200
        assert setup.store.get(int(response.headers["X-Hooktui-Event"])).body == b"through sshd"

        sshd.stop()  # the server goes away…
        await wait_until(lambda: tunnel.state.status != "online", timeout=20)
        sshd.start()  # …and comes back: the tunnel finds it again
        await wait_until(lambda: tunnel.state.status == "online", timeout=30)
        assert tunnel.state.restarts >= 1
        again = await client.post(f"http://127.0.0.1:{remote_port}/again", content=b"reconnected")
        assert again.status_code == 200


@pytest.mark.parametrize(("emptied", "expected"), [
    ("known_hosts", "ssh {user}@127.0.0.1:{port}: the server's host key is not trusted"),
    ("authorized_keys", "ssh {user}@127.0.0.1:{port}: permission denied"),
])
async def test_ssh_refusals_fail_clearly_without_retrying(setup: Setup, sshd: SshServer, emptied: str,
                                                         expected: str) -> None:
    (sshd.root / emptied).write_text("")
    listen_port = free_port()
    await setup.start(ssh_config(listen_port, free_port(), sshd))
    tunnel = setup.tunnel(listen_port)
    await wait_until(lambda: tunnel.state.status == "failed", timeout=20)
    assert tunnel.state.last_error.startswith(expected.format(user=getpass.getuser(), port=sshd.port))
    assert tunnel.state.restarts == 0


def test_listen_with_tunnel_prints_its_public_url(fake_binaries: Path, tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "hookdeck_tui", "listen", "--port", "0", "--db",
                                str(tmp_path / "l.db"), "--tunnel", "cloudflare"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in process.stderr:
        lines.append(line.rstrip())
        if line.startswith("tunnel cloudflare") and " online: " in line:
            break
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=30)
    assert process.returncode == 0
    assert re.fullmatch(r"tunnel cloudflare :\d+ online: https://fake-[0-9a-f]{8}-tunnel\.trycloudflare\.com",
                        lines[-1])
    assert "tunnel cloudflare" in rest and "stopped" in rest


def test_listen_tunnel_ssh_without_config_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "hookdeck_tui", "listen", "--tunnel", "ssh", "--db",
                             str(tmp_path / "l.db")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == ("hooktui listen: --tunnel ssh needs an `ssh-tunnel` gateway in the config (host, "
                                     "user, key or password)")


async def test_ssh_password_from_an_unset_variable_fails_clearly(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOKTUI_TEST_SSH_PASSWORD", raising=False)
    port, ssh_port = free_port(), free_port()
    await setup.start(f"""
listener: {{type: capture, port: {port}}}
gateway:
  type: ssh-tunnel
  port: {port}
  connection:
    host: 127.0.0.1
    port: {ssh_port}
    auth: {{type: password, username: dev, password: "${{env.HOOKTUI_TEST_SSH_PASSWORD}}"}}
""")
    tunnel = setup.tunnel(port)
    await wait_until(lambda: tunnel.state.status == "failed")
    assert tunnel.state.last_error == (f"ssh dev@127.0.0.1:{ssh_port}: the password is not set (is its environment "
                                       f"variable set?)")


def test_listen_runs_a_gateway_only_config_and_prints_its_public_url(fake_binaries: Path, tmp_path: Path) -> None:
    """The chapter's gateway examples configure only `gateway:` (a tunnel to an app on a local port): `listen`
    runs the tunnel and prints its public URL, and traffic through it reaches that app."""

    class App(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args) -> None:
            pass

    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    config = tmp_path / "gateway.yaml"
    config.write_text(f"gateway:\n  type: http-tunnel\n  driver: cloudflare\n  port: {app.server_address[1]}\n")
    process = subprocess.Popen([sys.executable, "-m", "hookdeck_tui", "listen", "-c", str(config), "--db",
                                str(tmp_path / "l.db")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in process.stderr:
            lines.append(line.rstrip())
            if line.startswith("tunnel cloudflare") and " online: " in line:
                break
        answer = httpx.get(f"http://127.0.0.1:{fake_binaries.read_text()}/", timeout=10)
        assert (answer.status_code, answer.text) == (200, "hello")
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
        app.shutdown()
    assert process.returncode == 0, rest
    assert f"exposing 127.0.0.1:{app.server_address[1]} through a cloudflare tunnel" in lines[0]
    assert re.fullmatch(rf"tunnel cloudflare :{app.server_address[1]} online: "
                        rf"https://fake-[0-9a-f]{{8}}-tunnel\.trycloudflare\.com", lines[-1])
