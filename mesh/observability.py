"""Request IDs, X-Served-By, HTTP metrics and the /health and /metrics endpoints of every service."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mesh.registration import RegistrationCollector, RegistrationStatus

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_of(request: Request) -> str:
    """The request's ID as set by RequestIdMiddleware."""
    return str(request.scope.get("state", {}).get("request_id", ""))


def with_header(send: Send, name: bytes, value: bytes) -> Send:
    """`send` that sets one response header on the answer, replacing any the app set itself."""

    async def send_with_header(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k != name]
            message["headers"] = [*headers, (name, value)]
        await send(message)

    return send_with_header


class RequestIdMiddleware:
    """Keep a sane incoming X-Request-ID or make one; echo it on the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        await self.app(scope, receive, with_header(send, b"x-request-id", request_id.encode()))


class ServedByMiddleware:
    """Add X-Served-By: host:port (this instance as others reach it) to every answer, errors included."""

    def __init__(self, app: ASGIApp, host: str) -> None:
        self.app = app
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server = scope.get("server")
        served_by = f"{self.host}:{server[1] if server else ''}".encode("latin-1")
        await self.app(scope, receive, with_header(send, b"x-served-by", served_by))


@dataclass
class Readiness:
    """Whether the service is ready to take traffic, and why not yet."""

    state: str = "starting"
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    registration: RegistrationStatus = field(default_factory=RegistrationStatus)

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def set(self, state: str, detail: str = "") -> None:
        self.state, self.detail = state, detail


class HttpMetrics:
    """Prometheus metrics for one app, in its own registry (no import-time globals)."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_cpu_seconds_total, resident memory, fds
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration by route",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.service = service


class MetricsMiddleware:
    """Count requests by route template and status, and time them (plain ASGI: no extra task)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = str(getattr(scope.get("route"), "path", "unmatched"))
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)


def install_observability(
    app: FastAPI, service: str, readiness: Readiness, *, served_by: str | None = None
) -> HttpMetrics:
    """Add request IDs, request metrics, /health and /metrics to the app; with `served_by` (the
    advertised host), also X-Served-By on every answer."""
    metrics = HttpMetrics(service)
    metrics.registry.register(RegistrationCollector(readiness.registration))
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestIdMiddleware)
    if served_by is not None:
        app.add_middleware(ServedByMiddleware, host=served_by)

    router = APIRouter()

    @router.get("/health", include_in_schema=True, tags=["ops"])
    async def health() -> JSONResponse:
        body = {"status": readiness.state, "service": service, **readiness.extra}
        if readiness.detail:
            body["detail"] = readiness.detail
        body["registration"] = readiness.registration.as_dict()  # beside readiness, not part of it
        return JSONResponse(body, status_code=200 if readiness.ready else 503)

    @router.get("/metrics", include_in_schema=True, tags=["ops"])
    async def prometheus(request: Request) -> Response:
        # Every route's latency series exists from the first scrape, not from its first request,
        # so a rate over the first minutes of traffic has the samples it needs.
        for path in request.app.openapi().get("paths", {}):  # built once, then cached by FastAPI
            metrics.latency.labels(path)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
    return metrics
