"""Which way up a page is, decided from the lines detection found on it.

`turn` is how many degrees clockwise the page was turned from upright: 0, 90, 180 or 270.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

import cv2
import numpy as np

from ocr_service.layout import Box
from ocr_service.spacing import Recognition, Word

DROP_SCORE = 0.5  # PaddleOCR's default: lines read with less confidence are dropped
SIDEWAYS_SHARE = 0.65  # share of the characters that must come from tall crops for a sideways page
FLIP_HINT = 0.3  # share of wide-crop characters the classifier flips before 180 degrees is checked
SAMPLE = 8  # crops (longest reads first) recognised both ways to settle the direction
UNDO = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


class Crop(NamedTuple):
    """A text quad warped to a rectangle, and whether it was turned 90 degrees (it was tall)."""

    image: np.ndarray
    turned: bool


class Reading(NamedTuple):
    """Text read from one crop, its confidence, whether the classifier turned it 180 degrees,
    and its words."""

    text: str
    score: float
    flipped: bool
    words: tuple[Word, ...] = ()


class Recognizer(Protocol):
    def recognize(self, crops: list[np.ndarray]) -> Sequence[Recognition]:
        """Text and confidence of each crop, read as it is (no angle classifier)."""
        ...


def _chars(read: Reading) -> int:
    return len(read.text.strip()) if read.score >= DROP_SCORE else 0


def _better_flipped(crops: Sequence[Crop], reads: Sequence[Reading], recognizer: Recognizer) -> bool:
    """Recognise the longest reads as they are and turned 180 degrees; True if turned reads better."""
    pairs = sorted(zip(crops, reads, strict=True), key=lambda cr: -len(cr[1].text))[:SAMPLE]
    plain = [c.image for c, _ in pairs]
    flipped = [np.ascontiguousarray(cv2.rotate(img, cv2.ROTATE_180)) for img in plain]
    scores = recognizer.recognize(plain + flipped)
    as_is = sum(r.score for r in scores[: len(plain)])
    turned = sum(r.score for r in scores[len(plain) :])
    return turned > as_is


def page_turn(crops: Sequence[Crop], reads: Sequence[Reading], recognizer: Recognizer) -> int:
    """Degrees clockwise the page was turned, from the crops of one detection pass.

    Sideways: tall crops (read turned 90 degrees counter-clockwise) hold at least
    SIDEWAYS_SHARE of the characters read; then 90 or 270 is settled by recognising the
    longest crops both ways round and keeping the more confident. Upside down: the angle
    classifier flipped at least FLIP_HINT of the wide crops' characters, and the same
    both-ways check agrees. Anything else is upright, so an ordinary page costs nothing extra.
    """
    total = sum(_chars(r) for r in reads)
    if not total:
        return 0
    tall = [(c, r) for c, r in zip(crops, reads, strict=True) if c.turned and _chars(r)]
    if sum(_chars(r) for _, r in tall) >= SIDEWAYS_SHARE * total:
        as_read = [Crop(c.image, c.turned) for c, _ in tall]
        return 270 if _better_flipped(as_read, [r for _, r in tall], recognizer) else 90
    wide = [(c, r) for c, r in zip(crops, reads, strict=True) if not c.turned and _chars(r)]
    flips = sum(_chars(r) for _, r in wide if r.flipped)
    if flips < FLIP_HINT * sum(_chars(r) for _, r in wide):
        return 0
    return 180 if _better_flipped([c for c, _ in wide], [r for _, r in wide], recognizer) else 0


def from_upright(box: Box, turn: int, width: int, height: int) -> Box:
    """A box of the upright page in the pixels of the image as given (`width` x `height`)."""
    if turn == 90:
        return [(width - v, u) for u, v in box]
    if turn == 180:
        return [(width - u, height - v) for u, v in box]
    if turn == 270:
        return [(v, height - u) for u, v in box]
    return box
