"""A real gateway app in process (lifespan, routes, job worker, SQLite store) in front of small
OCR-shaped aiohttp nodes on loopback, and a verifier that takes the token as the user's name."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from PIL import Image

from gateway.config import GatewaySettings
from gateway.main import create_app
from gateway.state import Gateway
from mesh.instances import ServiceInstance
from mesh.names import OCR_SERVICE
from mesh.tokens import Principal

HOST = "127.0.0.1"


class NamedTokens:
    """Unit-test verifier: the bearer token is the user ID."""

    async def verify(self, token: str) -> Principal:
        return Principal(user_id=token, username=token, claims={})


class FakeNodes:
    """OCR-shaped nodes: the text of a page is its pixel size (`WxH`), so order is checkable.

    `refuse_width` pages answer 413 as the real node does for a page over its limit; a node in
    `dying` drops the connection without an answer, as a SIGKILLed node does; the next `busy`
    requests answer 503 `overloaded`, as a node with a full queue does. `in_flight` and `peak`
    count the requests a node holds at once.
    """

    def __init__(self) -> None:
        self.hits: Counter[int] = Counter()
        self.dying: set[int] = set()
        self.refuse_width = -1
        self.busy = 0
        self.in_flight: Counter[int] = Counter()
        self.peak: Counter[int] = Counter()
        self.queries: list[str] = []
        self.open = asyncio.Event()  # cleared: nodes hold their answers until it is set again
        self.open.set()
        self._runners: list[web.AppRunner] = []

    async def start(self, count: int) -> list[ServiceInstance]:
        return [await self._start_one() for _ in range(count)]

    async def _start_one(self) -> ServiceInstance:
        async def ocr(request: web.Request) -> web.StreamResponse:
            port = request.url.port or 0
            self.hits[port] += 1
            self.queries.append(request.query_string)
            form = await request.post()
            upload = form["image"]
            assert isinstance(upload, web.FileField)
            data = upload.file.read()
            if port in self.dying:
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            width, height = Image.open(io.BytesIO(data)).size
            if width == self.refuse_width:
                error = {"error": {"code": "image_too_large", "message": "too many pixels"}}
                return web.json_response(error, status=413)
            if self.busy > 0:
                self.busy -= 1
                error = {"error": {"code": "overloaded", "message": "the queue is full"}}
                return web.json_response(error, status=503)
            self.in_flight[port] += 1
            self.peak[port] = max(self.peak[port], self.in_flight[port])
            try:
                await asyncio.sleep(0.01)
                await self.open.wait()
            finally:
                self.in_flight[port] -= 1
            answer: dict[str, Any] = {
                "request_id": request.headers.get("X-Request-ID", ""),
                "text": f"{width}x{height}",
                "image": {"width": width, "height": height},
                "timings_ms": {"queue": 0, "decode": 1, "ocr": 10, "total": 11},
                "engine": "fake",
                "instance": f"{HOST}:{port}",
            }
            if request.query.get("detail") != "text":
                answer |= {
                    "lines": [{"text": answer["text"], "score": 1.0, "box": [[0, 0]] * 4}],
                    "qr_codes": [],
                }
            return web.json_response(answer)

        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/ocr", ocr)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, HOST, 0).start()
        self._runners.append(runner)
        port = int(runner.addresses[0][1])
        return ServiceInstance(OCR_SERVICE, HOST, port, metadata={"engine": "fake", "version": "1"})

    async def close(self) -> None:
        for runner in self._runners:
            await runner.cleanup()


@asynccontextmanager
async def gateway_rig(
    data_dir: Path, nodes: int = 2, **settings: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Gateway, FakeNodes]]:
    """The app with its lifespan running, `nodes` fake OCR nodes in its pool, and a client."""
    options = {
        "rate_per_user": 0,
        "job_poll_seconds": 0.05,
        "job_poll_max_seconds": 0.2,
        "eject_seconds": 60,
    } | settings
    app = create_app(GatewaySettings(data_dir=data_dir, nacos_enabled=False, **options))
    fakes = FakeNodes()
    async with app.router.lifespan_context(app):
        gateway: Gateway = app.state.gateway
        gateway.verifier = NamedTokens()  # type: ignore[assignment]
        gateway.ocr.update(await fakes.start(nodes))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            try:
                yield client, gateway, fakes
            finally:
                await fakes.close()


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {user}"}


def png(width: int, height: int = 40) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, "PNG")
    return buffer.getvalue()
