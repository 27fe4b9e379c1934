"""The bounded queue in front of the engine, and one OCR request from bytes to result."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from mesh.errors import MeshError, ServiceUnavailable
from mesh.observability import Readiness
from ocr_service.config import OcrSettings
from ocr_service.engines.base import OcrEngine
from ocr_service.imaging import DecodedImage, decode_image
from ocr_service.layout import OcrLine, scale_box
from ocr_service.metrics import OcrMetrics
from ocr_service.qr import QrCode, find_qr_codes
from ocr_service.rows import page_text


@dataclass(frozen=True)
class OcrResult:
    """Lines and QR codes in original image coordinates, with where the time went."""

    lines: list[OcrLine]
    qr_codes: list[QrCode]
    width: int
    height: int
    timings_ms: dict[str, float]

    @property
    def text(self) -> str:
        """The lines of each visual row joined by a space, rows by a newline."""
        return page_text(self.lines)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


class OcrService:
    """At most one request in the engine, at most queue_size waiting, none waiting too long."""

    def __init__(
        self, settings: OcrSettings, engine: OcrEngine, metrics: OcrMetrics, readiness: Readiness
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = metrics
        self.readiness = readiness
        self.admitted = 0
        self._slot = asyncio.Semaphore(1)
        self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr-decode")
        self._ocr_estimate = 1.0  # seconds per request, smoothed
        metrics.queue_limit.set(settings.queue_size + 1)

    def retune(self, settings: OcrSettings) -> None:
        """Live settings (queue size, deadline, QR scanning): the next request reads them."""
        self.settings = settings
        self.metrics.queue_limit.set(settings.queue_size + 1)

    @property
    def engine_busy(self) -> bool:
        """A request holds the engine."""
        return self._slot.locked()

    def _retry_after(self) -> float:
        return max(1.0, self.admitted * self._ocr_estimate)

    @contextmanager
    def admit(self) -> Iterator[float]:
        """Take a place in the queue or fail at once; count the outcome. Yields the start time."""
        try:
            if not self.readiness.ready:
                raise ServiceUnavailable(
                    f"the OCR engine is {self.readiness.state}", code="starting", retry_after=5
                )
            if self.admitted >= self.settings.queue_size + 1:
                raise ServiceUnavailable(
                    "the OCR queue is full; try again later",
                    code="overloaded",
                    retry_after=self._retry_after(),
                )
        except MeshError as exc:
            self.metrics.requests.labels(exc.code).inc()
            raise
        self.admitted += 1
        self.metrics.queue_depth.set(self.admitted)
        try:
            yield time.perf_counter()
            self.metrics.requests.labels("ok").inc()
        except MeshError as exc:
            self.metrics.requests.labels(exc.code).inc()
            raise
        except Exception:
            self.metrics.requests.labels("internal_error").inc()
            raise
        finally:
            self.admitted -= 1
            self.metrics.queue_depth.set(self.admitted)

    async def recognize(self, data: bytes, started: float) -> OcrResult:
        """Decode, wait for the engine (within the deadline), run OCR and QR detection."""
        loop = asyncio.get_running_loop()
        mark = time.perf_counter()
        settings = self.settings
        decoded = await loop.run_in_executor(
            self._decoder, decode_image, data, settings.max_pixels, settings.max_side
        )
        decode_s = time.perf_counter() - mark
        self.metrics.decode_seconds.observe(decode_s)

        mark = time.perf_counter()
        await self._wait_for_engine(started)
        queue_s = time.perf_counter() - mark
        self.metrics.queue_wait.observe(queue_s)
        try:
            mark = time.perf_counter()
            lines, qr_codes = await asyncio.gather(
                self.engine.recognize(decoded.bgr), self._qr_codes(decoded)
            )
            ocr_s = time.perf_counter() - mark
        finally:
            self._slot.release()
        self.metrics.ocr_seconds.observe(ocr_s)
        self._ocr_estimate = 0.8 * self._ocr_estimate + 0.2 * ocr_s
        if decoded.scale != 1.0:
            lines = [ln.map_boxes(lambda box: scale_box(box, decoded.scale)) for ln in lines]
        timings = {
            "queue": _ms(queue_s),
            "decode": _ms(decode_s),
            "ocr": _ms(ocr_s),
            "total": _ms(time.perf_counter() - started),
        }
        return OcrResult(lines, qr_codes, decoded.width, decoded.height, timings)

    async def _wait_for_engine(self, started: float) -> None:
        remaining = self.settings.queue_deadline_seconds - (time.perf_counter() - started)
        try:
            async with asyncio.timeout(max(remaining, 0.0)):
                await self._slot.acquire()
        except TimeoutError:
            raise ServiceUnavailable(
                f"waited more than {self.settings.queue_deadline_seconds:g} s for the OCR engine",
                code="queue_timeout",
                retry_after=self._retry_after(),
            ) from None

    async def _qr_codes(self, decoded: DecodedImage) -> list[QrCode]:
        if not self.settings.qr_codes:
            return []
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._decoder, find_qr_codes, decoded.bgr, decoded.scale)

    async def close(self) -> None:
        """Stop the decode thread and the engine thread."""
        await asyncio.to_thread(self._decoder.shutdown, wait=True, cancel_futures=True)
        await self.engine.close()
