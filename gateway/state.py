"""What the gateway holds for its lifetime: the HTTP client, pools, limits and token verifier."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from gateway.balancer import Pool
from gateway.config import GatewaySettings
from gateway.limits import TokenBuckets
from gateway.metrics import GatewayMetrics
from gateway.proxy import Forwarder, Route, Upstream
from mesh.discovery import ServiceDirectory
from mesh.registry import ServiceInstance
from mesh.tokens import TokenVerifier


class Gateway:
    """The gateway's long-lived parts, built once in the lifespan and injected into routes."""

    def __init__(
        self, settings: GatewaySettings, client: aiohttp.ClientSession, metrics: GatewayMetrics
    ) -> None:
        s = settings
        self.settings = s
        self.directory = ServiceDirectory()
        self.ocr = self._pool(s.ocr_service, s.ocr_strategy, s.ocr_max_in_flight)
        self.users = self._pool(s.user_service, s.user_strategy, s.user_max_in_flight)
        self.pools = {s.ocr_service: self.ocr, s.user_service: self.users}
        self.ocr_route = Route(s.ocr_timeout, s.ocr_attempt_timeout, s.max_attempts, s.ocr_slot_wait)
        self.auth_route = Route(s.auth_timeout, s.auth_attempt_timeout, s.max_attempts, s.user_slot_wait)
        self.directory.on_change(self._on_change)
        self.forwarder = Forwarder(client, metrics)
        self.user_limits = TokenBuckets(s.rate_per_user, s.burst_per_user)
        self.client_limits = TokenBuckets(s.rate_per_client, s.burst_per_client)
        self.verifier = TokenVerifier(self._fetch_jwks, issuer=s.token_issuer, audience=s.token_audience)

    def _pool(self, service: str, strategy: str, max_in_flight: int) -> Pool:
        s = self.settings
        return Pool(
            service,
            strategy,
            eject_after=s.eject_after_failures,
            eject_seconds=s.eject_seconds,
            max_in_flight=max_in_flight,
            max_waiters=s.max_waiters,
        )

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
        return await self.forwarder.send(self.users, self.auth_route, method, path, headers, body)

    async def call_ocr(self, headers: list[tuple[str, str]], body: bytes) -> Upstream:
        return await self.forwarder.send(self.ocr, self.ocr_route, "POST", "/ocr", headers, body)

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return {name: pool.snapshot() for name, pool in self.pools.items()}
