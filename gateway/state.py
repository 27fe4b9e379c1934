"""What the gateway holds for its lifetime: the HTTP client, pools and token verifier."""

from __future__ import annotations

import json
from typing import Any

import httpx

from gateway.balancer import Pool
from gateway.config import GatewaySettings
from gateway.proxy import Forwarder, Upstream
from mesh.discovery import ServiceDirectory
from mesh.registry import ServiceInstance
from mesh.tokens import TokenVerifier


class Gateway:
    """The gateway's long-lived parts, built once in the lifespan and injected into routes."""

    def __init__(self, settings: GatewaySettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.directory = ServiceDirectory()
        self.pools = {
            settings.ocr_service: self._pool(settings.ocr_service, settings.ocr_strategy),
            settings.user_service: self._pool(settings.user_service, settings.user_strategy),
        }
        self.directory.on_change(self._on_change)
        self.forwarder = Forwarder(client, settings.max_attempts)
        self.verifier = TokenVerifier(
            self._fetch_jwks, issuer=settings.token_issuer, audience=settings.token_audience
        )

    def _pool(self, service: str, strategy: str) -> Pool:
        s = self.settings
        return Pool(service, strategy, eject_after=s.eject_after_failures, eject_seconds=s.eject_seconds)

    def _on_change(self, service: str, instances: list[ServiceInstance]) -> None:
        pool = self.pools.get(service)
        if pool is not None:
            pool.update(instances)

    async def _fetch_jwks(self) -> dict[str, Any]:
        up = await self.call_users("GET", "/.well-known/jwks.json", [])
        if up.status != 200:
            raise RuntimeError(f"JWKS answered {up.status}")
        data: dict[str, Any] = json.loads(up.content)
        return data

    async def call_users(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b""
    ) -> Upstream:
        pool = self.pools[self.settings.user_service]
        return await self.forwarder.send(
            pool, method, path, headers=headers, body=body, timeout=self.settings.auth_timeout
        )

    async def call_ocr(self, headers: list[tuple[str, str]], body: bytes) -> Upstream:
        pool = self.pools[self.settings.ocr_service]
        return await self.forwarder.send(
            pool, "POST", "/ocr", headers=headers, body=body, timeout=self.settings.ocr_timeout
        )

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return {name: pool.snapshot() for name, pool in self.pools.items()}
