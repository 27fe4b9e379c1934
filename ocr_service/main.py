"""The OCR node app: the socket answers at once, the engine loads and warms behind it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mesh.discovery import ServiceDirectory
from mesh.errors import install_error_handlers
from mesh.observability import Readiness, install_observability
from mesh.registry import NacosRegistry
from mesh.security_headers import install_security_headers
from mesh.tokens import TokenVerifier, jwks_from_directory
from ocr_service.config import OcrSettings
from ocr_service.engine import build_engine
from ocr_service.metrics import OcrMetrics
from ocr_service.service import OcrService
from ocr_service.views import router

log = logging.getLogger(__name__)


class ServedByMiddleware:
    """Add X-Served-By: host:port to every answer, errors included."""

    def __init__(self, app: ASGIApp, host: str) -> None:
        self.app = app
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server = scope.get("server")
        served_by = f"{self.host}:{server[1] if server else ''}".encode("latin-1")

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-served-by", served_by)]
            await send(message)

        await self.app(scope, receive, send_with_header)


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
    settings: OcrSettings, registry: NacosRegistry | None = None, verifier: TokenVerifier | None = None
) -> FastAPI:
    """Build the app. Tokens are checked with `verifier`, or with the user service's JWKS found
    through `registry` when none is given and settings.require_token is on."""
    readiness = Readiness()
    readiness.extra["engine"] = settings.engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = OcrService(
            settings, build_engine(settings), OcrMetrics(app.state.metrics.registry), readiness
        )
        app.state.ocr = service
        starting = asyncio.create_task(_start_engine(service, readiness))
        async with AsyncExitStack() as stack:
            app.state.verifier = verifier
            if verifier is None and settings.require_token:
                app.state.verifier = await _jwks_verifier(settings, registry, stack)
            try:
                yield
            finally:
                if readiness.state != "failed":
                    readiness.set("stopping")
                starting.cancel()
                await service.close()

    app = FastAPI(title="OCR Mesh OCR service", version=settings.version, lifespan=lifespan)
    app.state.settings = settings
    app.state.registry = registry
    app.state.advertised_host = settings.advertised_host
    install_error_handlers(app)
    install_observability(app, "ocr-service", readiness)
    install_security_headers(app)
    app.add_middleware(ServedByMiddleware, host=app.state.advertised_host)
    app.include_router(router)
    return app


def instance_metadata(app: FastAPI) -> dict[str, str]:
    """Nacos metadata this node adds to version and started_at."""
    settings: OcrSettings = app.state.settings
    return {"engine": settings.engine, "cpu_threads": str(settings.cpu_threads)}
