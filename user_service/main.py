"""The user service app: built once per process with its engine and keys."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from mesh.errors import install_error_handlers
from mesh.names import USER_SERVICE
from mesh.observability import Readiness, install_observability
from mesh.registry import NacosRegistry
from mesh.security_headers import install_security_headers
from mesh.tokens import TokenVerifier
from user_service.addresses import parse_networks
from user_service.config import UserSettings
from user_service.counters import Clock, WindowCounters
from user_service.db import make_engine, upgrade
from user_service.keys import KeyRing, KeyStore
from user_service.quotas import HashSlots, RegistrationQuota
from user_service.state import UserNode
from user_service.throttle import Limits, LoginThrottle
from user_service.views import router


def load_keys(settings: UserSettings) -> KeyStore:
    """The signing keys, the first made on first start, one older than key_rotation_days replaced."""
    days = settings.key_rotation_days
    folder = settings.data_dir / "keys"
    ring = KeyRing.load_or_create(
        folder, rotate_after=days * 86400 if days > 0 else None, retain=settings.key_retention_seconds
    )
    return KeyStore(folder, ring)


def create_app(
    settings: UserSettings,
    registry: NacosRegistry | None = None,
    *,
    clock: Clock = time.time,
    readiness: Readiness | None = None,
) -> FastAPI:
    """The app; `clock` drives the throttle's and the quota's windows (tests pass their own)."""
    ready = readiness or Readiness()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.db_url)
        await run_in_threadpool(upgrade, engine)
        keys = await run_in_threadpool(load_keys, settings)

        async def own_jwks() -> dict[str, Any]:
            return keys.ring.jwks()

        verifier = TokenVerifier(own_jwks, issuer=settings.token_issuer, audience=settings.token_audience)
        verifier.load_jwks(keys.ring.jwks())
        counters = WindowCounters(clock)
        app.state.node = UserNode(
            settings,
            sessionmaker(engine, expire_on_commit=False),
            keys,
            LoginThrottle(Limits.from_settings(settings), counters),
            verifier,
            parse_networks(settings.trusted_proxies),
            RegistrationQuota(
                settings.register_max_per_hour, parse_networks(settings.register_quota_exempt), counters
            ),
            HashSlots(settings.hash_slots, settings.hash_wait_seconds),
        )
        ready.set("ready")
        yield
        ready.set("stopping")
        engine.dispose()

    app = FastAPI(title="OCR Mesh user service", version=settings.version, lifespan=lifespan)
    install_error_handlers(app)
    install_observability(app, USER_SERVICE, ready)
    install_security_headers(app)
    app.include_router(router)
    return app
