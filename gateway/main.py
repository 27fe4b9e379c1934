"""The gateway app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gateway.config import GatewaySettings
from gateway.jobs.views import router as jobs_router
from gateway.jobs.worker import JobWorker
from gateway.live import GatewayLive
from gateway.metrics import GatewayMetrics
from gateway.monitoring.service import Prometheus
from gateway.monitoring.views import router as monitoring_router
from gateway.routes import router
from gateway.state import Gateway
from mesh.errors import install_error_handlers
from mesh.live_config import LiveConfig, LiveConfigMetrics
from mesh.names import GATEWAY
from mesh.observability import Readiness, install_observability
from mesh.registry import NacosRegistry
from mesh.security_headers import install_security_headers


def create_app(
    settings: GatewaySettings, registry: NacosRegistry | None = None, *, readiness: Readiness | None = None
) -> FastAPI:
    ready = readiness or Readiness()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One pooled upstream client for the gateway's life. aiohttp sets TCP_NODELAY on its
        # connections: without it a small request split over two writes waits ~40 ms for the
        # peer's delayed ACK. Idle connections are dropped before the services' 30 s keep-alive
        # ends, so a reused one is never already closed. Answers pass on as they came.
        upstream = aiohttp.TCPConnector(limit=settings.max_connections, keepalive_timeout=15)
        async with (
            aiohttp.ClientSession(
                connector=upstream, auto_decompress=False, skip_auto_headers=("User-Agent",)
            ) as client,
            httpx.AsyncClient(timeout=settings.prometheus_timeout, trust_env=False) as prometheus,
        ):
            app.state.prometheus = Prometheus(settings.prometheus_url, prometheus)
            gateway = Gateway(settings, client, GatewayMetrics(metrics.registry))
            app.state.gateway = gateway
            live = LiveConfig(
                GATEWAY,
                settings.nacos_group,
                GatewayLive,
                gateway.live,
                gateway.apply_live,
                LiveConfigMetrics(metrics.registry),
            )
            if registry is not None:
                for service in gateway.pools:
                    await gateway.directory.watch(registry, service)
                await live.connect(settings)
            jobs = gateway.jobs
            worker = JobWorker(
                jobs.store, gateway.reader, settings, jobs.metrics, jobs.submitted, gateway.ocr.serving
            )
            worker.start()
            ready.set("ready")
            try:
                yield
            finally:
                ready.set("stopping")
                await worker.stop()
                await gateway.directory.close()
                await live.close()
                gateway.close()

    app = FastAPI(title="OCR Mesh gateway", version=settings.version, lifespan=lifespan)
    install_error_handlers(app)
    metrics = install_observability(app, GATEWAY, ready)
    install_security_headers(app)
    app.include_router(router)
    app.include_router(jobs_router)
    app.include_router(monitoring_router)
    if settings.web_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.web_dir, html=True), name="web")
    return app
