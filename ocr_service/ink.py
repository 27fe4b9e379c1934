"""Blank columns of a line crop: the pixel-exact half of the word-space signal.

CTC columns are 8 pixels of the 48-pixel-high recogniser input, too coarse on their own to
tell a narrow word space from a wide letter gap. The crop itself is not: between two
characters, the widest run of columns without ink is a few pixels for a letter gap and
about a third of the text's height for a word space.
"""

from __future__ import annotations

import cv2
import numpy as np

NOISE = 0.04  # a column with at most this share of the band's rows inked still counts as blank
ROW_INK = 0.03  # a row with ink in at least this share of the columns is part of the text
BAND = (0.04, 0.96)  # rows looked at: all but the crop's very edges (T and L overhang their stems)


def blank_columns(crop: np.ndarray) -> tuple[np.ndarray, float]:
    """For each pixel column of a line crop, whether it holds no ink (Otsu, ink = the class
    that is rarer on the crop's border); and the height of the text in pixels (the rows
    where at least ROW_INK of the columns are inked, top to bottom)."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    height, width = gray.shape[:2]
    if height < 4 or width < 2:
        return np.zeros(width, dtype=bool), float(height)
    _, binary = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    border = np.concatenate([binary[0], binary[-1], binary[:, 0], binary[:, -1]])
    ink = binary == 0 if border.mean() >= 0.5 else binary == 1  # background is the border's majority
    band = ink[int(height * BAND[0]) : max(int(height * BAND[1]), int(height * BAND[0]) + 1)]
    limit = max(1.0, NOISE * band.shape[0])
    blank: np.ndarray = band.sum(axis=0) < limit
    rows = np.flatnonzero(ink.sum(axis=1) >= ROW_INK * width)
    text_height = float(rows[-1] - rows[0] + 1) if len(rows) else float(height)
    return blank, text_height


def widest_blank(blank: np.ndarray, start: float, end: float) -> int:
    """The longest run of blank columns between pixel columns start and end."""
    lo, hi = max(round(start), 0), min(round(end), len(blank))
    best = run = 0
    for value in blank[lo:hi].tolist():
        run = run + 1 if value else 0
        best = max(best, run)
    return best
