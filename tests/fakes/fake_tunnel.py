"""Stands in for the `cloudflared` and `ngrok` binaries, which cannot be downloaded here. It prints what the real
ones print (the lines the tunnel manager reads) and really forwards traffic: it listens on a loopback port and
relays each connection to the local port it was asked to expose. It writes that loopback port to
$FAKE_TUNNEL_INFO so a test can send requests "through the tunnel", and its pid to $FAKE_TUNNEL_PIDFILE.

Behaviour by $FAKE_TUNNEL_MODE: ok (default) | no-url (never prints a URL) | crash (exits 1 after
$FAKE_TUNNEL_CRASH_AFTER seconds, default 0.5).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import time


async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, target: int) -> None:
    upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target)

    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        finally:
            sink.close()

    await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer), return_exceptions=True)


def log(line: str, stream=sys.stderr) -> None:
    stream.write(line + "\n")
    stream.flush()


async def main(name: str, args: list[str]) -> int:
    if name == "cloudflared":
        target = int(args[args.index("--url") + 1].rsplit(":", 1)[1])
    else:
        if not os.environ.get("NGROK_AUTHTOKEN"):
            log('{"lvl":"eror","msg":"failed to start tunnel","err":"authentication failed: ERR_NGROK_4018"}',
                sys.stdout)
            return 1
        target = int(args[args.index("http") + 1])
    server = await asyncio.start_server(lambda r, w: relay(r, w, target), "127.0.0.1", 0)
    pid_file = os.environ.get("FAKE_TUNNEL_PIDFILE")
    if pid_file:
        with open(pid_file, "w") as handle:
            handle.write(str(os.getpid()))
    info = os.environ.get("FAKE_TUNNEL_INFO")
    if info:
        with open(info, "w") as handle:
            handle.write(str(server.sockets[0].getsockname()[1]))
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    mode = os.environ.get("FAKE_TUNNEL_MODE", "ok")
    if name == "cloudflared":
        log(f"{stamp} INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick "
            f"way to experiment and try it out.")
        log(f"{stamp} INF Requesting new quick Tunnel on trycloudflare.com...")
        if mode != "no-url":
            log(f"{stamp} INF +{'-' * 90}+")
            log(f"{stamp} INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be "
                f"reachable):  |")
            log(f"{stamp} INF |  https://fake-{secrets.token_hex(4)}-tunnel.trycloudflare.com{' ' * 40}|")
            log(f"{stamp} INF +{'-' * 90}+")
    else:
        log(json.dumps({"lvl": "info", "msg": "starting web service", "obj": "web", "addr": "127.0.0.1:4040"}),
            sys.stdout)
        if mode != "no-url":
            log(json.dumps({"lvl": "info", "msg": "started tunnel", "obj": "tunnels", "name": "command_line",
                            "addr": f"http://localhost:{target}",
                            "url": f"https://{secrets.token_hex(6)}.ngrok-free.app"}, separators=(",", ":")),
                sys.stdout)
    if mode == "crash":
        await asyncio.sleep(float(os.environ.get("FAKE_TUNNEL_CRASH_AFTER", "0.5")))
        log(f"{stamp} ERR connection to the edge lost")
        return 1
    await asyncio.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(os.path.basename(sys.argv[1]), sys.argv[2:])))
