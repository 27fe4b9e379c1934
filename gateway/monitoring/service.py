"""Named charts and the alert list, asked of Prometheus; clients never send PromQL of their own."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from mesh.errors import ServiceUnavailable

Window = Literal["5m", "15m", "1h", "6h"]
WINDOW_SECONDS: dict[str, int] = {"5m": 300, "15m": 900, "1h": 3600, "6h": 21600}
POINTS = 120  # per series: enough for a smooth line, small enough to poll every few seconds


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    unit: str
    query: str  # a recording rule of mesh_tools/monitoring/rules.yml, by instance


CHARTS = (
    Chart("throughput", "Answers a second", "/s", "instance:ocr_served:rate1m"),
    Chart("latency_p50", "Latency p50", "s", "instance:ocr_latency_seconds:p50_1m"),
    Chart("latency_p95", "Latency p95", "s", "instance:ocr_latency_seconds:p95_1m"),
    Chart("errors", "Errors a second (5xx)", "/s", "instance:ocr_errors:rate1m"),
    Chart("in_flight", "In flight (waiting + running)", "", "instance:ocr_in_flight"),
    Chart("cpu", "CPU (cores)", "cores", 'instance:process_cpu:rate1m{service="ocr-service"}'),
)


class MonitoringOff(ServiceUnavailable):
    code = "monitoring_off"


class Prometheus:
    """The gateway's client of one Prometheus server (built once at start-up)."""

    def __init__(self, base_url: str, client: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client

    async def _get(self, path: str, params: dict[str, str | float]) -> Any:
        if not self.base_url:
            raise MonitoringOff("monitoring is off: start the mesh with `ocr-mesh up --monitor`")
        try:
            answer = await self.client.get(self.base_url + path, params=params)
            body = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ServiceUnavailable(
                "Prometheus does not answer", code="monitoring_unavailable", retry_after=5
            ) from exc
        if answer.status_code != 200 or body.get("status") != "success":
            raise ServiceUnavailable(
                "Prometheus refused the query", code="monitoring_unavailable", retry_after=5
            )
        return body["data"]

    async def charts(self, window: Window, now: float | None = None) -> dict[str, Any]:
        """Every chart over the last `window`, one series per instance."""
        end = time.time() if now is None else now
        span = WINDOW_SECONDS[window]
        step = max(5, math.ceil(span / POINTS))
        out = []
        for chart in CHARTS:
            data = await self._get(
                "/api/v1/query_range", {"query": chart.query, "start": end - span, "end": end, "step": step}
            )
            series = [
                {
                    "instance": s["metric"].get("instance", ""),
                    "points": [[float(t), _number(v)] for t, v in s["values"]],
                }
                for s in data["result"]
            ]
            series.sort(key=lambda s: str(s["instance"]))
            out.append({"id": chart.id, "title": chart.title, "unit": chart.unit, "series": series})
        return {"window": window, "step": step, "end": end, "charts": out}

    async def alerts(self) -> list[dict[str, str]]:
        """Pending and firing alerts, firing first."""
        data = await self._get("/api/v1/alerts", {})
        found = [
            {
                "name": a["labels"].get("alertname", ""),
                "state": a.get("state", ""),
                "severity": a["labels"].get("severity", ""),
                "instance": a["labels"].get("instance", ""),
                "service": a["labels"].get("service", ""),
                "summary": a.get("annotations", {}).get("summary", ""),
                "active_at": a.get("activeAt", ""),
            }
            for a in data.get("alerts", [])
        ]
        return sorted(found, key=lambda a: (a["state"] != "firing", a["name"], a["instance"]))


def _number(value: str) -> float | None:
    """Prometheus' sample value; NaN (e.g. a quantile of no requests) becomes a gap."""
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number
