"""Prometheus HTTP service discovery from Nacos: every instance of every mesh service as a target.

Prometheus asks `GET /targets` every few seconds (`http_sd_configs`) and scrapes what it gets.
An instance that leaves Nacos stays listed for a grace window, labelled `nacos="gone"`, so that
a node that died (and that Nacos dropped at once) is still scraped, fails, and fires
`InstanceDown` instead of silently vanishing from the charts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from mesh.instances import ServiceInstance
from mesh.nacos_lister import NacosHttpLister
from mesh.nacos_sdk import RegistryUnavailable
from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh.settings import MeshSettings

log = logging.getLogger(__name__)

SERVICES = (GATEWAY, USER_SERVICE, OCR_SERVICE)


class TargetSettings(MeshSettings):
    """OCR_MESH_* settings of the discovery bridge."""

    port: int = 9095
    targets_grace_seconds: float = 60.0  # how long an instance that left Nacos is still scraped


@dataclass
class _Seen:
    instance: ServiceInstance
    listed: bool
    last_listed: float


class TargetBook:
    """The targets Prometheus should scrape: Nacos' instances, plus those that left lately."""

    def __init__(self, grace_seconds: float) -> None:
        self.grace = grace_seconds
        self._seen: dict[tuple[str, str], _Seen] = {}

    def update(self, service: str, listed: Iterable[ServiceInstance], now: float) -> None:
        """Take Nacos' current list of one service."""
        current = {i.address: i for i in listed}
        for address, instance in current.items():
            self._seen[(service, address)] = _Seen(instance, True, now)
        for key, seen in list(self._seen.items()):
            if key[0] != service or key[1] in current:
                continue
            seen.listed = False
            if now - seen.last_listed > self.grace:
                del self._seen[key]

    def groups(self) -> list[dict[str, Any]]:
        """Prometheus' http_sd format: one group per target, with its labels."""
        out = []
        for (service, address), seen in sorted(self._seen.items()):
            labels = {
                "service": service,
                "nacos": "listed" if seen.listed else "gone",
                "version": seen.instance.metadata.get("version", ""),
            }
            out.append({"targets": [address], "labels": labels})
        return out


class Discovery:
    """Asks Nacos for each service's instances; keeps the last answer when Nacos is away."""

    def __init__(self, lister: NacosHttpLister, book: TargetBook, registry: CollectorRegistry) -> None:
        self.lister = lister
        self.book = book
        self.nacos_up = Gauge(
            "mesh_targets_nacos_up", "1 when Nacos answered the last listing", registry=registry
        )
        self._answering = True
        self.listed = Gauge(
            "mesh_targets_listed", "Instances Nacos lists, by service", ["service"], registry=registry
        )

    async def refresh(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        try:
            answers = {service: await self.lister.instances(service) for service in SERVICES}
        except RegistryUnavailable as exc:
            if self._answering:
                log.warning("Nacos does not answer; the last known targets stay: %s", exc)
            self._answering = False
            self.nacos_up.set(0)
            return self.book.groups()
        self._answering = True
        self.nacos_up.set(1)
        for service, instances in answers.items():
            self.book.update(service, instances, now)
            self.listed.labels(service).set(len(instances))
        return self.book.groups()


def _discovery(request: Request) -> Discovery:
    found: Discovery = request.app.state.discovery
    return found


DiscoveryDep = Annotated[Discovery, Depends(_discovery)]


def create_app(settings: TargetSettings) -> FastAPI:
    registry = CollectorRegistry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(2.0), trust_env=False) as client:
            app.state.discovery = Discovery(
                NacosHttpLister(settings, client), TargetBook(settings.targets_grace_seconds), registry
            )
            yield

    app = FastAPI(title="OCR Mesh targets", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.get("/targets")
    async def targets(found: DiscoveryDep) -> list[dict[str, Any]]:
        return await found.refresh()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ready", "service": "mesh-targets"}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
