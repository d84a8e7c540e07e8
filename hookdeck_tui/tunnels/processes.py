"""Tunnels that are a child process printing its public URL: `cloudflared tunnel --url …` and `ngrok http …`. The
output is read continuously (a full pipe would freeze the child); the URL must appear within a time limit."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from hookdeck_tui.tunnels.supervisor import Supervisor, TunnelDropped, TunnelFailed

CLOUDFLARE_URL = re.compile(r"https://[a-z0-9-]+\.trycloudflare\.com")
NGROK_URL = re.compile(r'"url":"(https://[^"]+)"|url=(https://\S+)')
PR_SET_PDEATHSIG = 1  # linux/prctl.h
NGROK_FATAL = re.compile(r"ERR_NGROK_(4018|105|107|108)")  # authentication and account errors: retrying won't help


async def run_process(supervisor: Supervisor, argv: list[str], pattern: re.Pattern[str], url_timeout: float,
                      env: dict[str, str] | None = None, fatal: re.Pattern[str] | None = None) -> None:
    """Run `argv` until it exits; report the first URL matching `pattern` as the public URL. A line matching
    `fatal` makes the failure permanent."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL, env={**os.environ, **(env or {})}, start_new_session=True,
            preexec_fn=die_with_parent(os.getpid()))
    except OSError as exc:
        raise TunnelFailed(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
    found = asyncio.Event()
    fatal_line: list[str] = []

    async def read() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            supervisor.log(line)
            if fatal is not None and fatal.search(line):
                fatal_line.append(line)
            if not found.is_set():
                match = pattern.search(line)
                if match:
                    found.set()
                    supervisor.online(next(g for g in match.groups() if g) if match.groups() else match.group(0))

    reader = asyncio.create_task(read())
    try:
        try:
            await asyncio.wait_for(found.wait(), url_timeout)
        except TimeoutError:
            if process.returncode is None:
                raise TunnelDropped(f"{Path(argv[0]).name} printed no public URL within {url_timeout:g} s") from None
        code = await process.wait()
        await reader
        if fatal_line:
            raise TunnelFailed(f"{Path(argv[0]).name} refused to start: {fatal_line[0]}")
        raise TunnelDropped(f"{Path(argv[0]).name} exited with status {code}")
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


def die_with_parent(parent: int) -> Callable[[], None] | None:
    """For the child, between fork and exec: ask Linux to send it SIGTERM when hooktui dies, however it dies
    (SIGKILL included), so no cloudflared or ngrok outlives hooktui. The child runs in a session of its own (a
    terminal's Ctrl-C must not kill the tunnel before hooktui has stopped it), so it would not get the terminal's
    signals either. Elsewhere than Linux, hooktui's own SIGTERM/SIGHUP handlers stop it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - a libc without dlopen(NULL)
        return None

    def arm() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # hooktui died before the request took effect
            os._exit(1)

    return arm


def find_binary(name: str, env_var: str) -> str | None:
    """`$HOOKTUI_<NAME>` when set (it must exist), else the one on PATH, else None."""
    configured = os.environ.get(env_var)
    if configured:
        if not Path(configured).is_file():
            raise TunnelFailed(f"${env_var} points at {configured}, which does not exist")
        return configured
    return shutil.which(name)
