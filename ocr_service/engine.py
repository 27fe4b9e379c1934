"""OCR engines, each owning the one worker thread its predictor is created and used on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import cv2
import numpy as np

from ocr_service.config import OcrSettings
from ocr_service.layout import OcrLine, reading_order, to_box

log = logging.getLogger(__name__)
T = TypeVar("T")

WARM_UP_TEXT = "OCR Mesh 2024"


def warm_up_image() -> np.ndarray:
    """A small white image with one line of black text, drawn without any font file."""
    image = np.full((96, 480, 3), 255, dtype=np.uint8)
    cv2.putText(image, WARM_UP_TEXT, (16, 64), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (0, 0, 0), 3)
    return image


class OcrEngine(ABC):
    """Load, warm and run one OCR model; every model call happens on the engine's thread."""

    name = "abstract"

    def __init__(self, settings: OcrSettings) -> None:
        self.settings = settings
        self.load_seconds = 0.0
        self.warm_seconds = 0.0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ocr-{self.name}")

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue a call on the engine thread (tests use it to hold the thread busy)."""
        return self._pool.submit(fn)

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.wrap_future(self._pool.submit(fn))

    async def start(self) -> None:
        """Load the model and run it once on a rendered image."""
        self.load_seconds = await self._call(self._timed_load)
        started = time.perf_counter()
        lines = await self.recognize(warm_up_image())
        self.warm_seconds = time.perf_counter() - started
        log.info(
            "%s engine loaded in %.1f s, warm-up %.2f s, read %r",
            self.name,
            self.load_seconds,
            self.warm_seconds,
            " ".join(ln.text for ln in lines),
        )

    def _timed_load(self) -> float:
        started = time.perf_counter()
        cv2.setNumThreads(self.settings.cpu_threads)
        self._load()
        return time.perf_counter() - started

    async def recognize(self, image: np.ndarray) -> list[OcrLine]:
        """Lines in reading order for an 8-bit BGR image."""
        return reading_order(await self._call(lambda: self._infer(image)))

    async def close(self) -> None:
        """Drop the model on its own thread, then stop the thread (queued work is cancelled)."""
        with contextlib.suppress(RuntimeError):  # already shut down
            await asyncio.wrap_future(self._pool.submit(self._unload))
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)

    @abstractmethod
    def _load(self) -> None: ...

    @abstractmethod
    def _infer(self, image: np.ndarray) -> list[OcrLine]: ...

    @abstractmethod
    def _unload(self) -> None: ...


class PaddleEngine(OcrEngine):
    """PaddleOCR 2.x: PP-OCRv4 detection, angle classifier and recognition, offline."""

    name = "paddle"
    _ocr: Any = None

    def _load(self) -> None:
        paths = self.settings.model_paths()
        from paddleocr import PaddleOCR  # heavy import: keep it on the engine thread

        self._ocr = PaddleOCR(
            det_model_dir=str(paths.det),
            rec_model_dir=str(paths.rec),
            cls_model_dir=str(paths.cls),
            use_angle_cls=True,
            lang="ch",
            show_log=False,
            cpu_threads=self.settings.cpu_threads,
            enable_mkldnn=self.settings.mkldnn,
            rec_batch_num=self.settings.rec_batch_num,
            use_gpu=False,
        )

    def _infer(self, image: np.ndarray) -> list[OcrLine]:
        result = self._ocr.ocr(image, cls=True)
        found = result[0] if result else None
        return [
            OcrLine(text=str(text), score=float(score), box=to_box(points))
            for points, (text, score) in (found or [])
        ]

    def _unload(self) -> None:
        self._ocr = None


def build_engine(settings: OcrSettings) -> OcrEngine:
    """The engine named by settings.engine."""
    if settings.engine == "rapidocr":
        from ocr_service.rapid_engine import RapidOcrEngine

        return RapidOcrEngine(settings)
    return PaddleEngine(settings)
