"""OCR engines, each owning the one worker thread its predictor is created and used on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import cv2
import numpy as np

from ocr_service.config import OcrSettings
from ocr_service.layout import OcrLine
from ocr_service.memory import release_free_memory

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

    @property
    def pid(self) -> int | None:
        """The model's own process, if it has one (None: the model is in this process)."""
        return None

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue a call on the engine thread (tests use it to hold the thread busy)."""
        return self._pool.submit(fn)

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.wrap_future(self._pool.submit(fn))

    async def start(self) -> None:
        """Load the model and run it once on a rendered image."""
        self.load_seconds = await self._call(self.load_here)
        started = time.perf_counter()
        lines = await self.recognize(warm_up_image())
        self.warm_seconds = time.perf_counter() - started
        await self._call(self._release_memory)  # what loading needed and no longer holds
        log.info(
            "%s engine loaded in %.1f s, warm-up %.2f s, read %r",
            self.name,
            self.load_seconds,
            self.warm_seconds,
            " ".join(ln.text for ln in lines),
        )

    def load_here(self) -> float:
        """Load the model on the calling thread (the engine's, or a model process's); the seconds it took."""
        started = time.perf_counter()
        cv2.setNumThreads(self.settings.cpu_threads)
        self._load()
        return time.perf_counter() - started

    def infer_here(self, image: np.ndarray) -> list[OcrLine]:
        """Lines for an image, read on the calling thread (a model process's)."""
        return self._infer(image)

    def _release_memory(self) -> None:
        release_free_memory()

    async def recognize(self, image: np.ndarray) -> list[OcrLine]:
        """Lines in reading order for an 8-bit BGR image."""
        return await self._call(lambda: self._infer(image))

    async def close(self) -> None:
        """Drop the model on its own thread, then stop the thread (queued work is cancelled)."""
        with contextlib.suppress(RuntimeError):  # already shut down
            await asyncio.wrap_future(self._pool.submit(self._unload))
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)

    @abstractmethod
    def _load(self) -> None: ...

    @abstractmethod
    def _infer(self, image: np.ndarray) -> list[OcrLine]:
        """Lines in reading order."""

    @abstractmethod
    def _unload(self) -> None: ...
