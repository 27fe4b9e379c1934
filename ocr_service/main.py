"""The OCR node app: the socket answers at once, the engine loads and warms behind it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI

from mesh.discovery import ServiceDirectory
from mesh.errors import install_error_handlers
from mesh.live_config import LiveConfig, LiveConfigMetrics, from_env
from mesh.names import OCR_SERVICE
from mesh.observability import Readiness, install_observability
from mesh.registry import NacosRegistry
from mesh.security_headers import install_security_headers
from mesh.tokens import TokenVerifier, jwks_from_directory
from ocr_service.config import OcrSettings
from ocr_service.engines.factory import build_engine
from ocr_service.live import OcrLive
from ocr_service.metrics import OcrMetrics
from ocr_service.service import OcrService
from ocr_service.state import OcrNode
from ocr_service.views import router

log = logging.getLogger(__name__)


async def _start_engine(service: OcrService, readiness: Readiness) -> None:
    """Load and warm the engine; readiness says how it went."""
    try:
        await service.engine.start()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.exception("OCR engine failed to start")
        readiness.set("failed", f"OCR engine failed to start: {exc}")
        return
    engine = service.engine
    readiness.extra["load_seconds"] = round(engine.load_seconds, 2)
    readiness.extra["warm_up_seconds"] = round(engine.warm_seconds, 2)
    readiness.set("ready")


async def _jwks_verifier(
    settings: OcrSettings, registry: NacosRegistry | None, stack: AsyncExitStack
) -> TokenVerifier:
    """Verify with the user service's keys, found through Nacos (no registry: every token fails)."""
    directory = ServiceDirectory()
    stack.push_async_callback(directory.close)
    if registry is not None:
        await directory.watch(registry, settings.user_service)
    client = await stack.enter_async_context(httpx.AsyncClient(trust_env=False))
    return TokenVerifier(
        jwks_from_directory(directory, client, settings.user_service),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
    )


def create_app(
    settings: OcrSettings,
    registry: NacosRegistry | None = None,
    verifier: TokenVerifier | None = None,
    *,
    readiness: Readiness | None = None,
) -> FastAPI:
    """Build the app. Tokens are checked with `verifier`, or with the user service's JWKS found
    through `registry` when none is given and settings.require_token is on."""
    ready = readiness or Readiness()
    ready.extra["engine"] = settings.engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = build_engine(settings)
        service = OcrService(settings, engine, OcrMetrics(metrics.registry, lambda: engine.pid), ready)
        starting = asyncio.create_task(_start_engine(service, ready))
        live = LiveConfig(
            OCR_SERVICE,
            settings.nacos_group,
            OcrLive,
            from_env(OcrLive, settings),
            lambda values: service.retune(values.over(settings)),
            LiveConfigMetrics(metrics.registry),
        )
        async with AsyncExitStack() as stack:
            if registry is not None:
                await live.connect(settings)
                stack.push_async_callback(live.close)
            checker = verifier
            if checker is None and settings.require_token:
                checker = await _jwks_verifier(settings, registry, stack)
            app.state.node = OcrNode(service, checker, settings.advertised_host)
            try:
                yield
            finally:
                if ready.state != "failed":
                    ready.set("stopping")
                starting.cancel()
                await service.close()

    app = FastAPI(title="OCR Mesh OCR service", version=settings.version, lifespan=lifespan)
    install_error_handlers(app)
    metrics = install_observability(app, OCR_SERVICE, ready, served_by=settings.advertised_host)
    install_security_headers(app)
    app.include_router(router)
    return app


def instance_metadata(settings: OcrSettings) -> dict[str, str]:
    """Nacos metadata this node adds to version and started_at."""
    return {"engine": settings.engine, "cpu_threads": str(settings.cpu_threads)}
