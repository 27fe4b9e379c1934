"""What the gateway holds for its lifetime: the HTTP client, pools, limits and token verifier."""

from __future__ import annotations

import json
import random
from typing import Any

import aiohttp

from gateway.balancer import Pool
from gateway.canary import HINT_HEADER, avoid_for, is_canary
from gateway.config import GatewaySettings
from gateway.documents.cache import ResultCache
from gateway.documents.reader import PageReader
from gateway.documents.renderer import Renderer
from gateway.jobs.service import JobService
from gateway.jobs.store import JobStore
from gateway.limits import TokenBuckets
from gateway.live import GatewayLive
from gateway.metrics import GatewayMetrics
from gateway.proxy import Forwarder, Route, Upstream
from mesh.discovery import NacosView, ServiceDirectory
from mesh.instances import ServiceInstance
from mesh.live_config import from_env
from mesh.tokens import TokenVerifier


class Gateway:
    """The gateway's long-lived parts, built once in the lifespan and injected into routes."""

    def __init__(
        self, settings: GatewaySettings, client: aiohttp.ClientSession, metrics: GatewayMetrics
    ) -> None:
        s = settings
        self.settings = s
        self.directory = ServiceDirectory(
            s.reconcile_seconds, on_repair=lambda service: metrics.view_repairs.labels(service).inc()
        )
        self.ocr = self._pool(s.ocr_service, s.ocr_strategy, s.ocr_max_in_flight)
        self.users = self._pool(s.user_service, s.user_strategy, s.user_max_in_flight)
        self.pools = {s.ocr_service: self.ocr, s.user_service: self.users}
        self.ocr_route = Route(
            s.ocr_timeout, s.ocr_attempt_timeout, s.max_attempts, s.ocr_slot_wait, s.connect_timeout
        )
        self.auth_route = Route(
            s.auth_timeout, s.auth_attempt_timeout, s.max_attempts, s.user_slot_wait, s.connect_timeout
        )
        self.directory.on_change(self._on_change)
        self.forwarder = Forwarder(client, metrics)
        self.user_limits = TokenBuckets(s.rate_per_user, s.burst_per_user)
        self.client_limits = TokenBuckets(s.rate_per_client, s.burst_per_client)
        self.live = from_env(GatewayLive, s)
        self._draws = random.Random()  # the canary split's coin
        self.verifier = TokenVerifier(self._fetch_jwks, issuer=s.token_issuer, audience=s.token_audience)
        self.metrics = metrics
        self.renderer = Renderer(s.render_limits(), s.render_workers, s.render_memory_mb, s.render_timeout)
        cache = ResultCache(int(s.result_cache_mb * 1024 * 1024), metrics.documents.cache)
        self.reader = PageReader(self.call_ocr, self.renderer, cache, self.ocr_engines)
        store = JobStore(s.jobs_database_url or f"sqlite:///{s.data_dir.resolve() / 'jobs.sqlite3'}")
        self.jobs = JobService(store, s, self.reader, metrics.documents, s.max_pages)

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

    def apply_live(self, live: GatewayLive) -> None:
        """Settings from Nacos Config, in force for the next request (no restart)."""
        self.user_limits.rate, self.user_limits.burst = live.rate_per_user, live.burst_per_user
        self.client_limits.rate, self.client_limits.burst = live.rate_per_client, live.burst_per_client
        self.ocr.retune(live.ocr_strategy, live.eject_after_failures, live.eject_seconds)
        self.users.retune(live.user_strategy, live.eject_after_failures, live.eject_seconds)
        self.live = live

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

    async def call_ocr(self, headers: list[tuple[str, str]], body: bytes, query: str = "") -> Upstream:
        """POST the upload to an OCR node, with the client's query options (words=true, …)."""
        path = f"/ocr?{query}" if query else "/ocr"
        hint = next((v for k, v in headers if k.lower() == HINT_HEADER), None)
        headers = [(k, v) for k, v in headers if k.lower() != HINT_HEADER]
        avoid = avoid_for(self.ocr.endpoints(), self.live, hint, self._draws.random())
        return await self.forwarder.send(self.ocr, self.ocr_route, "POST", path, headers, body, avoid)

    def ocr_engines(self) -> str:
        """The engines and versions the OCR pool runs, as the result cache's key names them."""
        kinds = {
            f"{e.instance.metadata.get('engine', '?')}/{e.instance.metadata.get('version', '?')}"
            for e in self.ocr.endpoints()
        }
        return ",".join(sorted(kinds))

    def usable_ocr(self) -> int:
        return sum(1 for e in self.ocr.endpoints() if e.instance.usable)

    def close(self) -> None:
        self.renderer.close()
        self.jobs.store.close()

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Each pool's instances, marked with whether Nacos lists them, plus those only Nacos lists;
        OCR instances of the live canary version are marked `canary`."""
        found = {
            name: _beside_nacos(pool.snapshot(), self.directory.nacos_view(name))
            for name, pool in self.pools.items()
        }
        for entry in found[self.settings.ocr_service]:
            entry["canary"] = is_canary(entry["metadata"], self.live)
        return found


def _beside_nacos(entries: list[dict[str, Any]], view: NacosView | None) -> list[dict[str, Any]]:
    listed = view.addresses if view is not None else None
    ours = set()
    for entry in entries:
        address = f"{entry['host']}:{entry['port']}"
        ours.add(address)
        entry["in_gateway"] = True
        entry["in_nacos"] = None if listed is None else address in listed
    for address in sorted((listed or frozenset()) - ours):
        host, port = address.rsplit(":", 1)
        entries.append(
            {
                "host": host,
                "port": int(port),
                "healthy": None,
                "enabled": None,
                "weight": None,
                "metadata": {},
                "in_flight": 0,
                "served": 0,
                "failures": 0,
                "ejected": False,
                "ejected_for_seconds": 0.0,
                "in_gateway": False,
                "in_nacos": True,
            }
        )
    return entries
