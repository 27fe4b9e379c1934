"""The latency and CPU series Prometheus recorded during a cell, kept with the cell's results
(`ocr-mesh loadtest --monitor`, or `--prometheus URL` for a mesh that has its own)."""

from __future__ import annotations

import math
import time
from typing import Any

import httpx

from mesh_tools.monitoring.prometheus import SCRAPE_SECONDS

# Over 30 s (three scrapes): a cell's window is tens of seconds, so rules' 1 m windows would blur it.
_CPU = 'sum by (service, instance) (rate(process_cpu_seconds_total{job="ocr-mesh"}[30s]))'
QUERIES = {
    "ocr_latency_p95_seconds": (
        "histogram_quantile(0.95, sum by (instance, le) (rate("
        'http_request_duration_seconds_bucket{service="ocr-service", route="/ocr"}[30s])))'
    ),
    "cpu_cores": (  # with an OCR node's model process (ocr_service/engines/process.py)
        f"{_CPU} + on (service, instance) ("
        'sum by (service, instance) (rate(ocr_model_process_cpu_seconds_total{job="ocr-mesh"}[30s]))'
        f" or 0 * {_CPU})"
    ),
}


def wait_scraped(url: str, ocr_nodes: int, client: httpx.Client, timeout: float = 60.0) -> bool:
    """Until Prometheus has scraped every OCR node at least twice in 30 s (a rate needs two
    samples), so a cell's series start with the cell; False if that did not happen in time."""
    query = 'count_over_time(up{job="ocr-mesh", service="ocr-service", nacos="listed"}[30s]) >= 2'
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get(f"{url.rstrip('/')}/api/v1/query", params={"query": query})
        if answer.status_code == 200 and len(answer.json()["data"]["result"]) >= ocr_nodes:
            return True
        time.sleep(1)
    return False


def wall_clock(monotonic: float) -> float:
    """A time.monotonic() instant as Unix time (Prometheus' clock)."""
    return time.time() - (time.monotonic() - monotonic)


def cell_series(url: str, start: float, end: float, client: httpx.Client) -> dict[str, list[dict[str, Any]]]:
    """Each query's series over [start, end + one scrape] (Unix seconds), the scrape after the
    window being the first that counts its last seconds: [{name, points: [[t - start, v], …]}]."""
    end += SCRAPE_SECONDS
    time.sleep(max(0.0, end + 1 - time.time()))
    out: dict[str, list[dict[str, Any]]] = {}
    for name, query in QUERIES.items():
        answer = client.get(
            f"{url.rstrip('/')}/api/v1/query_range",
            params={"query": query, "start": start, "end": end, "step": SCRAPE_SECONDS / 2},
        )
        answer.raise_for_status()
        out[name] = [
            {
                "name": " ".join(v for v in (s["metric"].get("service"), s["metric"].get("instance")) if v),
                "points": [
                    [round(float(t) - start, 1), float(v)] for t, v in s["values"] if math.isfinite(float(v))
                ],
            }
            for s in answer.json()["data"]["result"]
        ]
    return out
