"""Forwarding a captured request to the developer's app, byte-exact: the same method, path (or its suffix after a
prefix), query, headers minus hop-by-hop ones, and body. Every attempt is a delivery row; the outcome is stored on
the event."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from hookdeck_tui.config.models import ForwardTarget
from hookdeck_tui.store import CapturedEvent, ForwardOutcome, Store

if TYPE_CHECKING:  # httpx takes ~50 ms to import and a console that forwards nothing never needs it: each use
    import httpx  # imports it (runtime.settle_after_start loads it off the loop once the console is up)

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "trailers", "transfer-encoding", "upgrade", "host", "content-length"})
PREVIEW_LIMIT = 64 * 1024



def without_default_headers(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client sends the captured request's own headers and nothing of its own: httpx adds Accept,
    Accept-Encoding, Connection and User-Agent to every request otherwise, so a forward or a replay would not be
    the request that came in (only Host and Content-Length are set from the target and the body)."""
    for name in ("Accept", "Accept-Encoding", "Connection", "User-Agent"):
        del client.headers[name]
    return client


@dataclass
class ForwardResult:
    url: str
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    latency_ms: float | None
    attempts: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 500

    def outcome(self) -> ForwardOutcome:
        """What the event keeps: status, latency, attempts, and a preview of the body (the delivery rows keep it
        whole)."""
        preview = self.body[:PREVIEW_LIMIT]
        try:
            text, encoded = preview.decode("utf-8"), None
        except UnicodeDecodeError:
            text, encoded = None, base64.b64encode(preview).decode("ascii")
        return ForwardOutcome(self.url, self.status, self.latency_ms, self.attempts, self.error, list(self.headers),
                              len(self.body), len(self.body) > PREVIEW_LIMIT, text, encoded)


def choose_target(targets: list[ForwardTarget], path: str,
                  admits: Callable[[ForwardTarget], bool] | None = None) -> ForwardTarget | None:
    """The target with the longest `path_prefix` that the path falls under. With `admits` (the event's type and
    `when:` checks), targets that select events come first when they admit it; the others are the fallback."""
    matching = [t for t in targets if _under(path, t.path_prefix)]
    if admits is not None:
        matching = [t for t in matching if not _selective(t) or admits(t)]
        chosen = [t for t in matching if _selective(t)]
        matching = chosen or matching
    return max(matching, key=lambda t: len(t.path_prefix)) if matching else None


def _selective(target: ForwardTarget) -> bool:
    return target.events is not None or target.when is not None


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def target_url(target: ForwardTarget, path: str, query: str) -> str:
    """A URL with a path (`http://localhost:4000/api/webhook`) gets every request as it is, as `stripe listen
    --forward-to` does; a bare origin gets the request's path (as ngrok does); so does a URL that maps a
    `path_prefix`. The request's query is kept unless the URL has its own."""
    parts = urlsplit(target.url)
    if parts.path not in ("", "/") and target.path_prefix == "/" and not target.strip_prefix:
        return target.url + (f"?{query}" if query and not parts.query else "")
    suffix = path
    if target.strip_prefix:
        suffix = path[len(target.path_prefix.rstrip("/")):] or "/"
    return target.url.rstrip("/") + suffix + (f"?{query}" if query else "")


class Forwarder:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._client: httpx.AsyncClient | None = None  # made on first use: its TLS context takes ~40 ms to build

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            # trust_env=False: a proxy from the environment must not sit between us and a local app
            self._client = without_default_headers(httpx.AsyncClient(trust_env=False, follow_redirects=False))
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def forward(self, event: CapturedEvent, target: ForwardTarget) -> ForwardResult:
        import httpx

        url = target_url(target, event.path, event.query)
        headers = [(k, v) for k, v in event.headers if k.lower() not in HOP_BY_HOP]
        attempts = 1 + target.retries
        result = ForwardResult(url, None, [], b"", None, 0, None)
        for attempt in range(1, attempts + 1):
            started = self.store.clock()
            clock = time.perf_counter()
            try:
                response = await self.client.request(event.method, url, headers=headers, content=event.body,
                                                     timeout=target.timeout)
                latency = (time.perf_counter() - clock) * 1000
                result = ForwardResult(url, response.status_code, list(response.headers.multi_items()),
                                       response.content, round(latency, 2), attempt, None)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: e.g. `OPTIONS *`, no path to append
                latency = (time.perf_counter() - clock) * 1000
                result = ForwardResult(url, None, [], b"", round(latency, 2), attempt, _describe(exc, target))
            await self.store.add_delivery(event.id, "forward", url, attempt=attempt, started_at=started,
                                          status=result.status, latency_ms=result.latency_ms,
                                          response_headers=result.headers, response_body=result.body,
                                          error=result.error)
            if result.ok or attempt == attempts:
                break
            await asyncio.sleep(target.backoff * 2 ** (attempt - 1))
        return result


def _describe(exc: httpx.HTTPError | httpx.InvalidURL, target: ForwardTarget) -> str:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {target.timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {target.url}: is your app running? ({exc})"
    if isinstance(exc, httpx.InvalidURL):
        return f"cannot forward to this URL: {exc}"
    return f"{type(exc).__name__}: {exc}"
