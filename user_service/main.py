"""The user service app: built once per process with its engine and keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from mesh.errors import install_error_handlers
from mesh.observability import Readiness, install_observability
from mesh.registry import NacosRegistry
from mesh.tokens import TokenVerifier
from user_service.config import UserSettings
from user_service.db import make_engine
from user_service.keys import KeyRing
from user_service.views import router


def create_app(settings: UserSettings, registry: NacosRegistry | None = None) -> FastAPI:
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.db_url)
        keys = KeyRing.load_or_create(settings.data_dir / "keys")

        async def own_jwks() -> dict[str, Any]:
            return keys.jwks()

        app.state.sessions = sessionmaker(engine, expire_on_commit=False)
        app.state.keys = keys
        app.state.verifier = TokenVerifier(
            own_jwks, issuer=settings.token_issuer, audience=settings.token_audience
        )
        app.state.verifier.load_jwks(keys.jwks())
        readiness.set("ready")
        yield
        readiness.set("stopping")
        engine.dispose()

    app = FastAPI(title="OCR Mesh user service", version=settings.version, lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    install_observability(app, "user-service", readiness)
    app.include_router(router)
    return app
