"""Uvicorn inside our own asyncio loop: we bind the socket ourselves (a busy port is a clear error,
not uvicorn's `sys.exit`), uvicorn installs no signal handlers, and stopping is graceful (`should_exit`)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Awaitable, Callable, Generator

import uvicorn

from hookdeck_tui.listener.address import PortInUse
from hookdeck_tui.listener.guarded_protocol import GuardedHttpToolsProtocol


class _InLoopServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the owner of the loop handles signals


AsgiApp = Callable[..., Awaitable[None]]  # (scope, receive, send): ours takes plain dicts, Starlette's mappings


class ListenerServer:
    def __init__(self, app: AsgiApp, host: str, port: int, *, name: str = "listener",
                 trusted_proxies: list[str] | None = None) -> None:
        self.app, self.host, self.requested_port, self.name = app, host, port, name
        self.trusted_proxies = trusted_proxies or []
        self._server: _InLoopServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self._bound_port: int | None = None  # kept after stop, so the URL still says where it was

    @property
    def port(self) -> int:
        return self._bound_port or self.requested_port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without it a keep-alive
        # client waits ~40 ms (Nagle + delayed ACK) for each response body after the first.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.requested_port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"port {self.requested_port} on {self.host} is already in use (another hooktui, or "
                                f"your app?): choose another with --port or `port:` in the config") from exc
            raise PortInUse(f"cannot listen on {self.host}:{self.requested_port}: {exc.strerror or exc}") from exc
        sock.listen(2048)
        sock.setblocking(False)
        return sock

    async def start(self) -> None:
        self._socket = self._bind()
        self._bound_port = self._socket.getsockname()[1]
        bound = getattr(self.app, "bound", None)  # a listener's app stores the port on every event it receives
        if bound is not None:
            bound(self._bound_port)
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="off",
                                http=GuardedHttpToolsProtocol,  # bounded headers, no slow-loris
                                timeout_graceful_shutdown=5, server_header=False, date_header=False,
                                # X-Forwarded-* only from configured proxies: uvicorn's default believes any
                                # loopback client, and every local process is one
                                proxy_headers=bool(self.trusted_proxies),
                                forwarded_allow_ips=list(self.trusted_proxies) or None)
        self._server = _InLoopServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]), name=f"uvicorn {self.name}")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise PortInUse(f"the {self.name} on {self.host}:{self.port} stopped while starting")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._socket is not None:
            self._socket.close()
        self._server = self._task = None
