"""How the node reads one image: pad and enlarge small inputs, turn sideways or upside-down
pages upright, and read line-shaped inputs as one line when detection is unsure.

The model calls sit behind `Predictor`, so the same steps serve any detector, angle
classifier and recogniser (PaddleOCR's predictors in `engine.PaddleEngine`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from ocr_service.layout import Box, OcrLine, Point, WordBox
from ocr_service.orientation import DROP_SCORE, UNDO, Crop, Reading, from_upright, page_turn
from ocr_service.rows import arrange
from ocr_service.spacing import Recognition, Word, reading_frame, word_box

SMALL_SIDE = 640  # images whose longest side is below this are padded before detection
MIN_SHORT_SIDE = 64  # ...and scaled up (at most MAX_ENLARGE times) if lower than this
MAX_ENLARGE = 4.0
LINE_MAX_HEIGHT = 200  # line-shaped: at most this high and at least LINE_ASPECT times as wide
LINE_ASPECT = 2.0
TALL = 1.5  # a crop this much taller than wide is read turned by 90 degrees (as PaddleOCR does)


class Predictor(Protocol):
    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Text quads (4x2 float32, clockwise from top-left) in image pixels."""
        ...

    def classify(self, crops: list[np.ndarray]) -> list[bool]:
        """For each crop, whether it is upside down."""
        ...

    def recognize(self, crops: list[np.ndarray]) -> Sequence[Recognition]:
        """Spaced text, confidence and words of each crop, read as it is."""
        ...


def read_crops(crops: list[np.ndarray], predictor: Predictor) -> list[Reading]:
    """Turn upside-down crops (angle classifier) and recognise them all."""
    flipped = predictor.classify(crops)
    upright = [cv2.rotate(c, cv2.ROTATE_180) if f else c for c, f in zip(crops, flipped, strict=True)]
    texts = predictor.recognize(upright)
    return [Reading(t.text, t.score, f, t.words) for t, f in zip(texts, flipped, strict=True)]


def with_words(text: str, score: float, box: Box, frame: Box, words: Sequence[Word]) -> OcrLine:
    """A line whose words get their share of `frame` (the crop's corners in reading direction)."""
    return OcrLine(text, score, box, tuple(WordBox(w.text, word_box(frame, w)) for w in words))


@dataclass(frozen=True)
class Enlarged:
    """An image padded and scaled up for detection, and the way back to the original pixels."""

    image: np.ndarray
    factor: float
    pad: int

    def to_original(self, quad: np.ndarray | Sequence[Point], width: int, height: int) -> Box:
        """Quad corners in the original image, clipped to it."""
        return [
            (
                min(max(float(x) / self.factor - self.pad, 0.0), float(width)),
                min(max(float(y) / self.factor - self.pad, 0.0), float(height)),
            )
            for x, y in quad
        ]


def enlarge(image: np.ndarray) -> Enlarged:
    """Pad a small image with its own edge pixels, and scale a very low one up to MIN_SHORT_SIDE.

    DB detection misses text that touches the border or is only a few pixels high. On the
    eval set, padding small pages helped and scaling pages up helped some and hurt others,
    so only images lower (or narrower) than MIN_SHORT_SIDE are scaled.
    """
    height, width = image.shape[:2]
    if max(height, width) >= SMALL_SIDE:
        return Enlarged(image, 1.0, 0)
    short = min(height, width)
    pad = max(4, short // 4)
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    factor = min(MAX_ENLARGE, MIN_SHORT_SIDE / short) if short < MIN_SHORT_SIDE else 1.0
    if factor <= 1.0:
        return Enlarged(padded, 1.0, pad)
    size = (round(padded.shape[1] * factor), round(padded.shape[0] * factor))
    return Enlarged(cv2.resize(padded, size, interpolation=cv2.INTER_CUBIC), factor, pad)


def crop_quad(image: np.ndarray, quad: np.ndarray) -> Crop:
    """The quad warped to an upright rectangle; tall crops are turned 90 degrees counter-clockwise."""
    points = quad.astype(np.float32)
    width = int(max(np.linalg.norm(points[0] - points[1]), np.linalg.norm(points[2] - points[3])))
    height = int(max(np.linalg.norm(points[0] - points[3]), np.linalg.norm(points[1] - points[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(points, target)
    crop = cv2.warpPerspective(
        image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    )
    if height / width >= TALL:
        return Crop(np.ascontiguousarray(np.rot90(crop)), True)
    return Crop(crop, False)


def is_line_shaped(image: np.ndarray) -> bool:
    """Low and wide enough to hold one line of text."""
    height, width = image.shape[:2]
    return height <= LINE_MAX_HEIGHT and width >= LINE_ASPECT * height


def one_row(lines: Sequence[OcrLine]) -> bool:
    """No line lies wholly below another's vertical middle (so at most one row of text)."""
    return all(a.bottom > (b.top + b.bottom) / 2 for a in lines for b in lines)


def whole_line(image: np.ndarray, lines: Sequence[OcrLine], predictor: Predictor) -> OcrLine | None:
    """The whole image read as one line, when that reads at least as confidently as detection did."""
    (read,) = read_crops([image], predictor)
    text = read.text.strip()
    if not text or read.score < DROP_SCORE:
        return None
    found = [ln for ln in lines if ln.text.strip()]
    height, width = image.shape[:2]
    left, right = 0.0, float(width)
    if found:
        chars = sum(len(ln.text) for ln in found)
        if read.score < sum(ln.score * len(ln.text) for ln in found) / chars - 0.1:
            return None
        left = min(ln.left for ln in found)
        right = max(x for ln in found for x, _ in ln.box)
    box: Box = [(left, 0.0), (right, 0.0), (right, float(height)), (left, float(height))]
    frame = reading_frame([(0, 0), (width, 0), (width, height), (0, height)], False, read.flipped)
    return with_words(text, read.score, box, frame, read.words)


def detect_and_read(
    image: np.ndarray, predictor: Predictor, pad_small: bool = True
) -> tuple[list[OcrLine], list[Crop], list[Reading]]:
    """One detection pass: confident lines in the image's pixels, and every crop with its reading."""
    height, width = image.shape[:2]
    big = enlarge(image) if pad_small else Enlarged(image, 1.0, 0)
    quads = predictor.detect(big.image)
    crops = [crop_quad(big.image, q) for q in quads]
    reads = read_crops([c.image for c in crops], predictor) if crops else []
    lines = [
        with_words(
            r.text,
            r.score,
            big.to_original(q, width, height),
            big.to_original(reading_frame(q.tolist(), c.turned, r.flipped), width, height),
            r.words,
        )
        for q, c, r in zip(quads, crops, reads, strict=True)
        if r.score >= DROP_SCORE and r.text.strip()
    ]
    return lines, crops, reads


def read_image(image: np.ndarray, predictor: Predictor, pad_small: bool = True) -> list[OcrLine]:
    """Lines of an 8-bit BGR image in reading order, boxes in the image's pixels.

    A turned page is read a second time, turned upright, and its boxes are mapped back.
    `pad_small` pads (and enlarges) small images before detection: it helps PP-OCRv4's
    detector on the eval set and costs PP-OCRv6's a character on two small pages, so the
    RapidOCR engine turns it off (its line fallback still reads small line crops).
    """
    lines, crops, reads = detect_and_read(image, predictor, pad_small)
    turn = page_turn(crops, reads, predictor)
    if turn:
        height, width = image.shape[:2]
        upright, _, _ = detect_and_read(
            np.ascontiguousarray(cv2.rotate(image, UNDO[turn])), predictor, pad_small
        )
        return [ln.map_boxes(lambda box: from_upright(box, turn, width, height)) for ln in arrange(upright)]
    if is_line_shaped(image) and one_row(lines):
        line = whole_line(image, lines, predictor)
        if line is not None:
            return [line]
    return arrange(lines)
