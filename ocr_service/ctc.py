"""Taps on the engines' CTC decoders: the same text and confidence, plus where each character
sits (`spacing.Glyphs`), taken from the probabilities the decoder was given.

Each tap replaces the `postprocess_op` of the engine's own recogniser object, built once when
the engine loads; the library's plain pipelines (the eval's raw path) are not touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ocr_service.spacing import Glyphs, glyphs_from_ctc


def _space_index(characters: Sequence[str]) -> int:
    """Index of the space class (PP-OCR alphabets end with it when spaces are enabled)."""
    return len(characters) - 1 if characters and characters[-1] == " " else -1


def _glyphs(preds: Any, kwargs: dict[str, Any], space: int) -> list[Glyphs]:
    probs = np.asarray(preds[-1] if isinstance(preds, list | tuple) else preds)
    ratios = kwargs.get("wh_ratio_list") or [1.0] * len(probs)
    widest = float(kwargs.get("max_wh_ratio") or 1.0)
    return [
        glyphs_from_ctc(probs[k], space, probs.shape[1] * min(float(ratios[k]) / widest, 1.0))
        for k in range(len(probs))
    ]


class PaddleCtcTap:
    """PaddleOCR 2.x `CTCLabelDecode` that answers (text, score, Glyphs) per crop."""

    def __init__(self, decoder: Any) -> None:
        self._decoder = decoder
        self._space = _space_index(decoder.character)

    def __call__(self, preds: Any, *args: Any, **kwargs: Any) -> list[tuple[str, float, Glyphs]]:
        kwargs["return_word_box"] = False
        texts = self._decoder(preds, *args, **kwargs)
        glyphs = _glyphs(preds, kwargs, self._space)
        return [(str(t), float(s), g) for (t, s), g in zip(texts, glyphs, strict=True)]


class RapidCtcTap:
    """rapidocr 3.x `CTCLabelDecode`: its line results, and Glyphs in place of its word results."""

    def __init__(self, decoder: Any) -> None:
        self._decoder = decoder
        self._space = _space_index(decoder.character)

    def __call__(self, preds: Any, *args: Any, **kwargs: Any) -> tuple[list[Any], list[Glyphs]]:
        lines, _ = self._decoder(preds, False, **kwargs)
        return lines, _glyphs(preds, kwargs, self._space)


def tap_paddle(recognizer: Any) -> None:
    """Put a PaddleCtcTap on a PaddleOCR TextRecognizer (CTC models only)."""
    decoder = recognizer.postprocess_op
    if type(decoder).__name__ == "CTCLabelDecode":
        recognizer.postprocess_op = PaddleCtcTap(decoder)


def tap_rapid(recognizer: Any) -> None:
    """Put a RapidCtcTap on a rapidocr TextRecognizer."""
    recognizer.postprocess_op = RapidCtcTap(recognizer.postprocess_op)
