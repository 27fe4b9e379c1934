"""Tiny real HTTP upstreams on loopback, one per behaviour, for in-process forwarder tests.

Each `start(behaviour)` binds a server on 127.0.0.1 (port 0) and returns the ServiceInstance
that points at it, so a Pool can be filled with exactly the failures a test needs:

- ok: 200 with a JSON echo of what arrived (method, path, body, headers) and the port
- error: 500 (an answer: passed on, never retried)
- busy: 503 (the instance is overloaded: try another, but it is not a failure)
- slow: answers only once `release` is set (the test's deadlines expire first)
- drop: accepts, reads, closes the connection without an answer
- refused: a port where nothing listens
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import Counter

from aiohttp import web

from mesh.instances import ServiceInstance
from mesh.names import OCR_SERVICE

HOST = "127.0.0.1"


class Upstreams:
    """The servers a test started; `hits` counts the requests each port received."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.hits: Counter[int] = Counter()
        self._runners: list[web.AppRunner] = []
        self._raw: list[asyncio.Server] = []

    async def start(self, behaviour: str, service: str = OCR_SERVICE) -> ServiceInstance:
        if behaviour == "refused":
            port = _unused_port()
        elif behaviour == "drop":
            port = await self._start_dropping()
        else:
            port = await self._start_http(behaviour)
        return ServiceInstance(service, HOST, port)

    async def _start_http(self, behaviour: str) -> int:
        async def handle(request: web.Request) -> web.Response:
            port = request.transport.get_extra_info("sockname")[1] if request.transport else 0
            self.hits[port] += 1
            body = await request.read()
            if behaviour == "busy":
                return web.json_response({"error": {"code": "overloaded"}}, status=503)
            if behaviour == "error":
                return web.json_response({"error": {"code": "internal_error"}}, status=500)
            if behaviour == "slow":
                await self.release.wait()
            echo = {
                "port": port,
                "method": request.method,
                "path": request.path_qs,
                "body": body.decode("latin-1"),
                "headers": dict(request.headers),
            }
            return web.json_response(echo, headers={"X-Upstream": str(port)})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        self._runners.append(runner)
        return int(runner.addresses[0][1])

    async def _start_dropping(self) -> int:
        async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.hits[writer.get_extra_info("sockname")[1]] += 1
            with contextlib.suppress(ConnectionError):
                await reader.readuntil(b"\r\n\r\n")
            writer.close()

        server = await asyncio.start_server(drop, HOST, 0)
        self._raw.append(server)
        return int(server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        self.release.set()
        for runner in self._runners:
            await runner.cleanup()
        for server in self._raw:
            server.close()
            await server.wait_closed()


def _unused_port() -> int:
    """A loopback port that was free a moment ago and that nothing listens on."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def echo_of(content: bytes) -> dict[str, object]:
    """The JSON echo an `ok` upstream answered with."""
    data: dict[str, object] = json.loads(content)
    return data
