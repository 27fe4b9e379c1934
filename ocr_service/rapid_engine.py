"""RapidOCR (ONNX Runtime) engine with the models shipped in the rapidocr wheel."""

from __future__ import annotations

from typing import Any

import numpy as np

from ocr_service.engine import OcrEngine
from ocr_service.layout import OcrLine, reading_order, to_box


class RapidOcrEngine(OcrEngine):
    """rapidocr 3.x with its bundled det/rec/cls ONNX models; nothing is downloaded."""

    name = "rapidocr"
    _ocr: Any = None

    def _load(self) -> None:
        from rapidocr import RapidOCR

        threads = self.settings.cpu_threads
        self._ocr = RapidOCR(
            params={
                "Global.log_level": "warning",
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    def _infer(self, image: np.ndarray) -> list[OcrLine]:
        result = self._ocr(image)
        if result.boxes is None or result.txts is None or result.scores is None:
            return []
        return reading_order(
            OcrLine(text=str(text), score=float(score), box=to_box(points))
            for points, text, score in zip(result.boxes, result.txts, result.scores, strict=True)
        )

    def _unload(self) -> None:
        self._ocr = None
