"""The gateway app."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gateway.config import GatewaySettings
from gateway.metrics import GatewayMetrics
from gateway.routes import router
from gateway.state import Gateway
from mesh.errors import install_error_handlers
from mesh.observability import Readiness, install_observability
from mesh.registry import NacosRegistry


def create_app(
    settings: GatewaySettings,
    registry: NacosRegistry | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limits = httpx.Limits(
            max_connections=settings.max_connections, max_keepalive_connections=settings.max_connections
        )
        # TCP_NODELAY: without it a small request or answer split over two writes waits for the
        # peer's delayed ACK (~40 ms) under uvloop, the gateway's event loop.
        upstream = transport or httpx.AsyncHTTPTransport(
            limits=limits, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        )
        async with httpx.AsyncClient(limits=limits, transport=upstream, trust_env=False) as client:
            gateway = Gateway(settings, client, GatewayMetrics(metrics.registry))
            app.state.gateway = gateway
            if registry is not None:
                for service in gateway.pools:
                    await gateway.directory.watch(registry, service)
            readiness.set("ready")
            yield
            readiness.set("stopping")
            await gateway.directory.close()

    app = FastAPI(title="OCR Mesh gateway", version=settings.version, lifespan=lifespan)
    install_error_handlers(app)
    metrics = install_observability(app, "ocr-gateway", readiness)
    app.include_router(router)
    if settings.web_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.web_dir, html=True), name="web")
    return app
