"""Taps on the engines' CTC decoders: the same text and confidence, plus where each character
sits (`Glyphs`), taken from the probabilities the decoder was given.

Each tap replaces the `postprocess_op` of the engine's own recogniser object, built once when
the engine loads; the library's plain pipelines (the eval's raw path) are not touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ocr_service.characters import Alphabet, Reading, dropped, second_choices


@dataclass(frozen=True)
class Glyphs:
    """Where the characters of one recognised line sit, in CTC columns of its crop.

    `starts`/`ends` are the first and last column of each character's run, `space_odds` the
    highest space probability between character i and i+1, `columns` how many columns cover
    the crop's width (the rest of the model input is padding). With the model's alphabet,
    `second` holds each lookalike digit's second choice and `dropped` the likeliest point
    between character i and i+1 that greedy decoding left out (`characters.py`).
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    space_odds: tuple[float, ...]
    columns: float
    second: tuple[Reading, ...] = ()
    dropped: tuple[Reading, ...] = ()

    def centre(self, i: int) -> float:
        """Centre of character i, in columns."""
        return (self.starts[i] + self.ends[i] + 1) / 2


def _space_between(space: np.ndarray, end: int, start: int) -> float:
    """Probability that at least one column from one character's last to the next one's first
    is a space (columns taken as independent)."""
    return float(1.0 - np.prod(1.0 - space[end : start + 1]))


def glyphs_from_ctc(
    probs: np.ndarray, space_index: int, columns: float, blank: int = 0, alphabet: Alphabet | None = None
) -> Glyphs:
    """Greedy CTC decode of one line's probabilities (T x classes) into character positions.

    Follows PaddleOCR's decoder (argmax, repeats merged, blanks dropped), so character i of
    the decoded text is run i here. `alphabet` adds the lookalike digits' second choices and
    the points dropped between neighbours.
    """
    best = probs.argmax(axis=1)
    starts: list[int] = []
    ends: list[int] = []
    for col, cls in enumerate(best.tolist()):
        if cls == blank:
            continue
        if starts and ends[-1] == col - 1 and best[col - 1] == cls:
            ends[-1] = col
        else:
            starts.append(col)
            ends.append(col)
    space = probs[:, space_index] if 0 <= space_index < probs.shape[1] else np.zeros(len(best))
    odds = tuple(_space_between(space, ends[i], starts[i + 1]) for i in range(len(starts) - 1))
    if alphabet is None or len(alphabet.chars) != probs.shape[1]:
        return Glyphs(tuple(starts), tuple(ends), odds, float(columns))
    second = second_choices(probs, starts, ends, alphabet, blank)
    return Glyphs(
        tuple(starts), tuple(ends), odds, float(columns), second, dropped(probs, starts, ends, alphabet)
    )


def _space_index(characters: Sequence[str]) -> int:
    """Index of the space class (PP-OCR alphabets end with it when spaces are enabled)."""
    return len(characters) - 1 if characters and characters[-1] == " " else -1


def _glyphs(preds: Any, kwargs: dict[str, Any], alphabet: Alphabet) -> list[Glyphs]:
    probs = np.asarray(preds[-1] if isinstance(preds, list | tuple) else preds)
    ratios = kwargs.get("wh_ratio_list") or [1.0] * len(probs)
    widest = float(kwargs.get("max_wh_ratio") or 1.0)
    space = _space_index(alphabet.chars)
    return [
        glyphs_from_ctc(
            probs[k], space, probs.shape[1] * min(float(ratios[k]) / widest, 1.0), alphabet=alphabet
        )
        for k in range(len(probs))
    ]


class PaddleCtcTap:
    """PaddleOCR 2.x `CTCLabelDecode` that answers (text, score, Glyphs) per crop."""

    def __init__(self, decoder: Any) -> None:
        self._decoder = decoder
        self._alphabet = Alphabet.of(decoder.character)

    def __call__(self, preds: Any, *args: Any, **kwargs: Any) -> list[tuple[str, float, Glyphs]]:
        kwargs["return_word_box"] = False
        texts = self._decoder(preds, *args, **kwargs)
        glyphs = _glyphs(preds, kwargs, self._alphabet)
        return [(str(t), float(s), g) for (t, s), g in zip(texts, glyphs, strict=True)]


class RapidCtcTap:
    """rapidocr 3.x `CTCLabelDecode`: its line results, and Glyphs in place of its word results."""

    def __init__(self, decoder: Any) -> None:
        self._decoder = decoder
        self._alphabet = Alphabet.of(decoder.character)

    def __call__(self, preds: Any, *args: Any, **kwargs: Any) -> tuple[list[Any], list[Glyphs]]:
        lines, _ = self._decoder(preds, False, **kwargs)
        return lines, _glyphs(preds, kwargs, self._alphabet)


def tap_paddle(recognizer: Any) -> None:
    """Put a PaddleCtcTap on a PaddleOCR TextRecognizer (CTC models only)."""
    decoder = recognizer.postprocess_op
    if type(decoder).__name__ == "CTCLabelDecode":
        recognizer.postprocess_op = PaddleCtcTap(decoder)


def tap_rapid(recognizer: Any) -> None:
    """Put a RapidCtcTap on a rapidocr TextRecognizer."""
    recognizer.postprocess_op = RapidCtcTap(recognizer.postprocess_op)
