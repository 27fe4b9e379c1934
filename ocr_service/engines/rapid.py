"""RapidOCR (ONNX Runtime) engine with the models shipped in the rapidocr wheel."""

from __future__ import annotations

from typing import Any

import numpy as np

from ocr_service.config import OcrSettings
from ocr_service.ctc import Glyphs, tap_rapid
from ocr_service.engines.base import OcrEngine
from ocr_service.layout import OcrLine
from ocr_service.reading import read_image
from ocr_service.spacing import Recognition, recognition


def build_rapid_ocr(settings: OcrSettings) -> Any:
    """The one place that builds a RapidOCR pipeline from the node's settings (bundled models)."""
    from rapidocr import RapidOCR  # heavy import: only where a pipeline is really built

    return RapidOCR(
        params={
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": settings.cpu_threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            # PaddleOCR's detector input rule (longest side at most 960), not rapidocr's
            # default (shortest side at least 736), which enlarged a 900×420 card 1.75×.
            "Det.limit_type": "max",
            "Det.limit_side_len": 960,
        }
    )


class RapidPredictor:
    """RapidOCR's detector, angle classifier and recogniser, called one by one (see reading.py)."""

    def __init__(self, det: Any, cls: Any, rec: Any) -> None:
        self._det, self._cls, self._rec = det, cls, rec

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        boxes = self._det(image).boxes
        return [] if boxes is None else [np.asarray(b, dtype=np.float32) for b in boxes]

    def classify(self, crops: list[np.ndarray]) -> list[bool]:
        if not crops:
            return []
        angles = self._cls(list(crops)).cls_res or []
        return ["180" in label and score > self._cls.cls_thresh for label, score in angles]

    def recognize(self, crops: list[np.ndarray]) -> list[Recognition]:
        from rapidocr.ch_ppocr_rec import TextRecInput

        if not crops:
            return []
        out = self._rec(TextRecInput(img=list(crops), return_word_box=True))
        if out.txts is None:
            return [Recognition("", 0.0)] * len(crops)
        glyphs = [g if isinstance(g, Glyphs) else None for g in out.word_results]
        return [
            recognition(str(t), float(s), g, c)
            for t, s, g, c in zip(out.txts, out.scores, glyphs, crops, strict=True)
        ]


class RapidOcrEngine(OcrEngine):
    """rapidocr 3.x with its bundled PP-OCRv6 small det/rec and v2 cls ONNX models; nothing is
    downloaded. It goes through the same reading steps as the Paddle engine."""

    name = "rapidocr"
    _predictor: RapidPredictor | None = None

    def _load(self) -> None:
        ocr = build_rapid_ocr(self.settings)
        # rapidocr builds its three models lazily behind these loaders (pinned rapidocr 3.10).
        rec = ocr._load_rec_model()
        tap_rapid(rec)
        self._predictor = RapidPredictor(ocr._load_det_model(), ocr._load_cls_model(), rec)

    def _infer(self, image: np.ndarray) -> list[OcrLine]:
        assert self._predictor is not None, "engine not loaded"
        return read_image(image, self._predictor, pad_small=False)

    def _unload(self) -> None:
        self._predictor = None
