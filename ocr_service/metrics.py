"""Prometheus metrics of the OCR node, in the app's own registry."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60)


class OcrMetrics:
    """Outcomes, queue depth and time spent waiting, decoding and in the engine."""

    def __init__(
        self, registry: CollectorRegistry, model_pid: Callable[[], int | None] = lambda: None
    ) -> None:
        # The model's own process (engines/process.py): ocr_model_process_cpu_seconds_total and
        # ocr_model_process_resident_memory_bytes beside the node's process_* (nothing while none runs).
        ProcessCollector(namespace="ocr_model", pid=lambda: model_pid() or "none", registry=registry)
        self.requests = Counter(
            "ocr_requests_total",
            "OCR requests by outcome (ok or the error code)",
            ["outcome"],
            registry=registry,
        )
        self.queue_depth = Gauge(
            "ocr_queue_depth", "OCR requests admitted: waiting plus running", registry=registry
        )
        self.queue_limit = Gauge(
            "ocr_queue_limit", "Requests admitted at most (queue_size + the one running)", registry=registry
        )
        self.queue_wait = Histogram(
            "ocr_queue_wait_seconds", "Time waiting for the engine", registry=registry, buckets=_SECONDS
        )
        self.decode_seconds = Histogram(
            "ocr_decode_seconds",
            "Time validating and decoding the image",
            registry=registry,
            buckets=_SECONDS,
        )
        self.ocr_seconds = Histogram(
            "ocr_seconds", "Time in the OCR engine per request", registry=registry, buckets=_SECONDS
        )
