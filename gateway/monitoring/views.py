"""GET /api/monitoring/charts and /api/monitoring/alerts: what the page's mesh view draws."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from gateway.monitoring.service import Prometheus, Window
from gateway.routes import UserDep

router = APIRouter(prefix="/api/monitoring", tags=["monitoring"])


def get_prometheus(request: Request) -> Prometheus:
    prometheus: Prometheus = request.app.state.prometheus
    return prometheus


PrometheusDep = Annotated[Prometheus, Depends(get_prometheus)]


@router.get("/charts")
async def charts(prometheus: PrometheusDep, _: UserDep, window: Window = "15m") -> dict[str, Any]:
    """Throughput, p50/p95 latency, errors, in-flight and CPU per OCR instance over the window."""
    return await prometheus.charts(window)


@router.get("/alerts")
async def alerts(prometheus: PrometheusDep, _: UserDep) -> dict[str, Any]:
    """The alerts Prometheus holds now (pending or firing)."""
    return {"alerts": await prometheus.alerts()}
