"""No tunnel process outlives hooktui, however hooktui is stopped: SIGTERM to `hooktui run` or to the console,
SIGHUP when the terminal closes, even SIGKILL. cloudflared is the fake of tests/fakes (the real binary cannot be
downloaded here); it writes its pid so the test can see whether it is still running."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.waiting import wait_until_sync


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] if Path(f"/proc/{pid}/stat").exists() else ""
    return state != "Z"  # a zombie has exited; only its parent's bookkeeping is left


def tunnel_pid(pid_file: Path) -> int:
    wait_until_sync(lambda: pid_file.exists() and pid_file.read_text().strip() != "", timeout=30)
    return int(pid_file.read_text())


def gone(pid: int) -> bool:
    try:
        wait_until_sync(lambda: not alive(pid), timeout=15)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)  # leave nothing behind, then fail
        return False
    return True


@pytest.fixture
def env(fake_binaries: Path, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "FAKE_TUNNEL_PIDFILE": str(tmp_path / "tunnel.pid"), "HOOKTUI_DB": str(tmp_path / "t.db")}


WAITING = """
listener: {{type: http-callback, port: {port}, path: /cb, identify_by: "${{body.id}}"}}
gateway: {{type: http-tunnel, driver: cloudflare, port: {port}}}
components:
  ask: {{type: http-client, endpoint: "http://127.0.0.1:{port}/cb", body: {{id: nobody}},
         completion: {{type: callback, wait_for: never, timeout: 120000}}}}
workflow:
  jobs: [{{id: wait, component: ask}}]
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_run_stopped_by_a_signal_stops_its_tunnel_and_prints_the_public_url(
        env: dict[str, str], tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    config = tmp_path / "hooktui.yaml"
    config.write_text(WAITING.format(port=port))
    process = subprocess.Popen([sys.executable, "-m", "hookdeck_tui", "run", "-c", str(config)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    assert process.stderr is not None
    for line in process.stderr:  # the job waits and the tunnel is online, in either order
        seen.append(line.rstrip())
        if any("wait: waiting" in s for s in seen) and any(" online: " in s for s in seen):
            break
    pid = tunnel_pid(Path(env["FAKE_TUNNEL_PIDFILE"]))
    process.send_signal(sig)
    _, rest = process.communicate(timeout=30)
    assert process.returncode == 128 + sig, rest
    assert gone(pid), "the cloudflared process outlived `hooktui run`"
    assert any(re.fullmatch(rf"  tunnel cloudflare :{port} online: https://fake-[0-9a-f]{{8}}-tunnel\."
                            rf"trycloudflare\.com", line) for line in seen + rest.splitlines())
    assert f"interrupted by {sig.name}" in rest


def test_listen_killed_outright_takes_its_tunnel_with_it(env: dict[str, str]) -> None:
    """SIGKILL cannot be handled: the tunnel child asked the kernel to be stopped when its parent dies."""
    process = subprocess.Popen([sys.executable, "-m", "hookdeck_tui", "listen", "--port", "0", "--tunnel",
                                "cloudflare"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid = tunnel_pid(Path(env["FAKE_TUNNEL_PIDFILE"]))
    process.kill()
    process.wait(timeout=30)
    assert gone(pid), "the cloudflared process outlived a killed `hooktui listen`"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (CI installs it)")
@pytest.mark.parametrize("how", ["SIGTERM", "terminal closed"])
def test_the_console_stopped_by_a_signal_or_a_closed_terminal_stops_its_tunnel(
        env: dict[str, str], tmp_path: Path, how: str) -> None:
    session = f"hooktui-lifetime-{os.getpid()}-{how.replace(' ', '-')}"
    script = tmp_path / "console.sh"
    exit_file = tmp_path / "exit-code"
    script.write_text(f'"{sys.executable}" -m hookdeck_tui --port 0 --tunnel cloudflare; echo $? > "{exit_file}"\n')
    tmux_env = [arg for key in ("PATH", "FAKE_TUNNEL_PIDFILE", "FAKE_TUNNEL_INFO", "HOOKTUI_DB")
                for arg in ("-e", f"{key}={env[key]}")]
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", *tmux_env,
                    f"sh {script}"], check=True)
    try:
        pid = tunnel_pid(Path(env["FAKE_TUNNEL_PIDFILE"]))
        if how == "SIGTERM":
            console = _console_pid(session)
            os.kill(console, signal.SIGTERM)
            wait_until_sync(exit_file.exists, timeout=30)
            assert exit_file.read_text().strip() == "0"
        else:
            subprocess.run(["tmux", "kill-session", "-t", session], check=True)
        assert gone(pid), f"the cloudflared process outlived the console ({how})"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def _console_pid(session: str) -> int:
    shell = int(subprocess.run(["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"], capture_output=True,
                               text=True, check=True).stdout.split()[0])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise TimeoutError("the console did not start")
