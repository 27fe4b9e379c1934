"""The gateway's Prometheus client: named charts, NaN as gaps, clear errors when Prometheus is away."""

from __future__ import annotations

import httpx
import pytest

from gateway.monitoring.service import CHARTS, MonitoringOff, Prometheus
from mesh.errors import ServiceUnavailable


def answering(handler: httpx.MockTransport) -> Prometheus:
    return Prometheus("http://prometheus:9090", httpx.AsyncClient(transport=handler))


async def test_each_chart_is_one_range_query_of_a_recorded_series() -> None:
    asked: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(dict(request.url.params))
        series = [{"metric": {"instance": "127.0.0.1:8101"}, "values": [[100, "1.5"], [105, "NaN"]]}]
        return httpx.Response(
            200, json={"status": "success", "data": {"resultType": "matrix", "result": series}}
        )

    answer = await answering(httpx.MockTransport(handler)).charts("15m", now=1000)
    assert [a["query"] for a in asked] == [c.query for c in CHARTS]
    assert asked[0]["start"] == "100" and asked[0]["end"] == "1000" and asked[0]["step"] == "8"
    first = answer["charts"][0]
    assert first["series"] == [{"instance": "127.0.0.1:8101", "points": [[100.0, 1.5], [105.0, None]]}]


async def test_alerts_firing_come_first() -> None:
    alerts = [
        {
            "labels": {"alertname": "OcrQueueSaturated", "instance": "a"},
            "state": "pending",
            "annotations": {},
        },
        {"labels": {"alertname": "InstanceDown", "instance": "b", "severity": "critical"}, "state": "firing"},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "success", "data": {"alerts": alerts}})

    found = await answering(httpx.MockTransport(handler)).alerts()
    assert [(a["name"], a["state"]) for a in found] == [
        ("InstanceDown", "firing"),
        ("OcrQueueSaturated", "pending"),
    ]


async def test_an_unreachable_prometheus_is_a_503_monitoring_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(ServiceUnavailable) as caught:
        await answering(httpx.MockTransport(handler)).alerts()
    assert caught.value.code == "monitoring_unavailable"


async def test_no_prometheus_configured_is_a_503_monitoring_off() -> None:
    with pytest.raises(MonitoringOff) as caught:
        await Prometheus("", httpx.AsyncClient()).charts("5m")
    assert caught.value.status_code == 503 and caught.value.code == "monitoring_off"
