"""Recognition batches bounded by width: the same text, in fewer padded pixels per batch."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from mesh_tools.textimage import render_lines
from ocr_service.config import OcrSettings
from ocr_service.engines.paddle import PaddlePredictor, build_paddle_ocr, rec_batches


def crop(width: int, height: int = 48) -> np.ndarray:
    return np.zeros((height, width, 3), np.uint8)


def test_no_bound_is_paddleocrs_own_batching() -> None:
    crops = [crop(w) for w in (900, 100, 500, 300, 700, 200, 800, 400)]
    assert rec_batches(crops, 6, 0) == [[1, 5, 3, 7, 2, 4], [6, 0]]  # narrow to wide, six at most


def test_a_width_budget_splits_wide_batches_and_keeps_narrow_ones() -> None:
    narrow = [crop(200) for _ in range(6)]  # padded to 320 each: 1,920 px
    wide = [crop(1400) for _ in range(3)]  # 1,400 each
    assert rec_batches(narrow + wide, 6, 3000) == [[0, 1, 2, 3, 4, 5], [6, 7], [8]]
    assert rec_batches([crop(5000), crop(100)], 6, 3000) == [[1], [0]]  # too wide: alone
    assert rec_batches([], 6, 3000) == []


def test_every_crop_is_in_exactly_one_batch() -> None:
    rng = np.random.default_rng(3)
    crops = [
        crop(int(w), int(h))
        for w, h in zip(rng.integers(20, 3000, 40), rng.integers(10, 90, 40), strict=True)
    ]
    batches = rec_batches(crops, 6, 2500)
    assert sorted(i for b in batches for i in b) == list(range(40))
    assert all(1 <= len(b) <= 6 for b in batches)


def _line_crops() -> list[np.ndarray]:
    lines = [
        "OCR Mesh 2026",
        "订单编号 12345 已发货",
        "A much longer line of English text for the recogniser",
    ]
    out = []
    for line in lines:
        rgb = np.asarray(Image.open(io.BytesIO(render_lines([line], size=32))).convert("RGB"))
        out.append(np.ascontiguousarray(rgb[:, :, ::-1]))
    return out * 3


def test_a_width_budget_reads_the_same_text() -> None:
    """The recogniser built as a node builds it, here on the test's thread (a node's is in its
    model process)."""
    ocr: Any = build_paddle_ocr(OcrSettings(nacos_enabled=False))
    crops = _line_crops()

    def read(budget: int) -> list[str]:
        predictor = PaddlePredictor(ocr, OcrSettings(nacos_enabled=False, rec_batch_width=budget))
        return [r.text for r in predictor.recognize(crops)]

    unbounded, bounded = read(0), read(800)
    assert unbounded == bounded
    squeezed = [text.replace(" ", "") for text in unbounded]  # tight crops: spaces are not the point
    assert "OCRMesh2026" in squeezed[0] and "12345" in squeezed[1]
