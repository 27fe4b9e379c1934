"""The engine a node runs, chosen by its settings."""

from __future__ import annotations

from ocr_service.config import OcrSettings
from ocr_service.engines.base import OcrEngine
from ocr_service.engines.paddle import PaddleEngine
from ocr_service.engines.process import ProcessEngine
from ocr_service.engines.rapid import RapidOcrEngine


def build_engine(settings: OcrSettings) -> OcrEngine:
    """The engine named by settings.engine, its model in a child process unless model_process is off."""
    kind: type[OcrEngine] = RapidOcrEngine if settings.engine == "rapidocr" else PaddleEngine
    return ProcessEngine(settings, kind) if settings.model_process else kind(settings)
