"""Prometheus metrics of the gateway: upstream calls by instance and outcome, latency, retries."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from gateway.documents.metrics import DocumentMetrics


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.documents = DocumentMetrics(registry)
        self.upstream = Counter(
            "gateway_upstream_requests_total",
            "Upstream attempts by service, instance and outcome",
            ["service", "instance", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "gateway_upstream_latency_seconds",
            "Upstream answer time by service",
            ["service"],
            registry=registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.retries = Counter(
            "gateway_retries_total", "Attempts retried on another instance", ["service"], registry=registry
        )
        self.view_repairs = Counter(
            "gateway_view_repairs_total",
            "Times reconciliation found the gateway's list differing from Nacos' and took Nacos'",
            ["service"],
            registry=registry,
        )
        self.ejections = Counter(
            "gateway_ejections_total",
            "Instances ejected after failures",
            ["service", "instance"],
            registry=registry,
        )
