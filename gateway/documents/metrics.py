"""Prometheus metrics of documents and jobs: the result cache and pages read for jobs."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from gateway.documents.cache import CacheMetrics


class DocumentMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.cache = CacheMetrics(registry)
        self.pages = Counter(
            "gateway_document_pages_total",
            "Pages of documents read, by path (sync, job) and outcome (ok, the error code, or "
            "requeued: a job page's try that failed for a passing reason)",
            ["path", "outcome"],
            registry=registry,
        )
        self.jobs = Counter(
            "gateway_jobs_total",
            "Jobs by event (submitted, cancelled, expired)",
            ["event"],
            registry=registry,
        )
