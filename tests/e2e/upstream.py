"""A small real HTTP server that registers in Nacos as an ocr-service instance.

For gateway tests where the model is beside the point: it answers POST /ocr at once (or
after OCR_MESH_UPSTREAM_DELAY seconds) with its own address. Run: python -m tests.e2e.upstream
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request

from mesh.errors import install_error_handlers
from mesh.names import OCR_SERVICE
from mesh.observability import Readiness, install_observability
from mesh.runtime import serve_main
from mesh.settings import MeshSettings


class UpstreamSettings(MeshSettings):
    upstream_delay: float = 0.0
    upstream_service: str = OCR_SERVICE


def create_app(settings: UpstreamSettings, readiness: Readiness) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_observability(app, settings.upstream_service, readiness)
    readiness.set("ready")  # nothing to load

    @app.post("/ocr")
    async def ocr(request: Request) -> dict[str, object]:
        await request.body()
        if settings.upstream_delay:
            await asyncio.sleep(settings.upstream_delay)
        port = request.scope["server"][1]
        return {"instance": f"{settings.advertised_host}:{port}", "text": "", "lines": []}

    return app


if __name__ == "__main__":
    upstream = UpstreamSettings()
    raise SystemExit(
        serve_main(upstream.upstream_service, upstream, lambda _, ready: create_app(upstream, ready))
    )
