"""Word spaces from where the recogniser put each character (its CTC columns).

PP-OCR recognisers read a line as a row of CTC columns (one per 8 pixels of the 48-pixel-high
input) and often leave out the space between Latin words and numbers. Three signals bring
it back, for each pair of neighbouring characters the model did not separate itself:

* the model's own space probability in the columns between the two characters (the space is
  a class of its alphabet; a left-out space usually still scores 0.1-0.5 there),
* the distance between the two characters against the line's typical letter pitch (the
  median distance between neighbouring Latin characters, and apart from it between CJK ones),
* the widest blank run of pixel columns between the two characters in the crop (`ink.py`),
  against the line's usual one (the median over the pairs the model is sure sit inside a
  word, so a short line of spaced tokens such as `Z = 0%` does not count its spaces as usual).

A space goes in where the space probability reaches SURE_SPACE; otherwise each signal counts
up to 1 (the probability over SURE_SPACE, the gap's excess over the expected one, half of each
character's typical pitch, over WIDE_GAP letters) and the blank run's excess over the line's
usual one over INK_EXTRA text heights up to INK_MAX, and a space needs EVIDENCE in all. Around
punctuation in small print (`SR = GST`, `Invoice # : OR18`) the model's odds and the coarse
CTC columns say little, so a clearly wide blank run can carry the space on its own.
Points and colons inside numbers (8.50, 18:40) and joiners (- /) get one only from a very wide
blank run, never from the model alone; a colon gets one before it (`No : 5`) but never right
after another point mark (`Tel.:`), whose blank sides are wide in receipt fonts.
Two CJK characters never get a space between them (Chinese text has none); a CJK character
next to a Latin word does, when the signals say so (`OCR Mesh 微服务网关`).
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ocr_service.characters import NONE, Reading, dropped_points, fix_lookalikes
from ocr_service.ctc import Glyphs
from ocr_service.ink import blank_columns, widest_blank

SURE_SPACE = 0.25  # the model's space probability that alone is a space (and counts 1 below)
WIDE_GAP = 0.7  # a gap this share of a letter wider than expected counts 1
INK_SPACE = 0.3  # blank runs below this share of the text height count 0...
INK_EXTRA = 0.2  # ...one this share of the text height wider than the line's usual one counts 1...
INK_MAX = 1.5  # ...and up to this much when wider still (enough for a space on its own)
EVIDENCE = 1.4  # the three counts must add up to this for a space
IN_WORD = 0.05  # pairs with space odds below this are inside a word: they set the usual blank run
WIDER = 0.35  # a gap this share of a letter wider than expected, with...
STRONG_INK = 4.0  # ...a blank run this many times the usual one: a space even next to - / : .
JOINERS = "-/_~"  # next to these only the model's own sure space counts (VGG-16, 03/09, S/B),
CLOSERS = ",.;!?)]}%"  # ...and before these,
POINTS = ",.:;"  # ...and between one of these and a colon
OPENERS = "([{"  # ...and after these
NARROW = "iljI1|!'"  # glyphs with wide blank sides in receipt fonts: their blank run counts half
CJK_WIDTH = 1.6  # a CJK character's pitch over a Latin one's, when a line lacks one of them

Point = tuple[float, float]


@dataclass(frozen=True)
class Word:
    """A run of characters without a space, and where it lies along its line (0..1)."""

    text: str
    start: float
    end: float


@lru_cache(maxsize=8192)
def is_cjk(char: str) -> bool:
    """A CJK ideograph, kana, hangul or full-width punctuation (no spaces between these)."""
    if not char:
        return False
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFF60
        or 0x20000 <= code <= 0x2FA1F
        or unicodedata.east_asian_width(char) == "W"
    )


@dataclass(frozen=True)
class Pitch:
    """A line's typical distance between neighbouring characters, in columns, per script."""

    latin: float
    cjk: float

    def of(self, char: str) -> float:
        return self.cjk if is_cjk(char) else self.latin


def typical_pitch(glyphs: Glyphs, text: str) -> Pitch:
    """Median distance between neighbouring Latin (and between CJK) characters the model did
    not separate; a script missing from the line gets the other's scaled by CJK_WIDTH."""
    latin: list[float] = []
    cjk: list[float] = []
    for i in range(len(text) - 1):
        a, b = text[i], text[i + 1]
        if a.isspace() or b.isspace() or is_cjk(a) != is_cjk(b):
            continue
        (cjk if is_cjk(a) else latin).append(glyphs.centre(i + 1) - glyphs.centre(i))
    lat = statistics.median(latin) if latin else 0.0
    han = statistics.median(cjk) if cjk else 0.0
    return Pitch(lat or han / CJK_WIDTH, han or lat * CJK_WIDTH)


def _decimal_mark(text: str, i: int) -> bool:
    """text[i] is the point or comma inside a number (8.50, 1,200)."""
    return text[i] in ".,:/-" and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


class Ink(NamedTuple):
    """The blank run between two characters, the line's usual one and one pixel, in text heights."""

    gap: float
    usual: float
    pixel: float = 0.0

    @property
    def evidence(self) -> float:
        """0 for a narrow blank run or one no wider than usual, 1 from INK_EXTRA more up, at
        most INK_MAX."""
        if self.gap < INK_SPACE:
            return 0.0
        return min(max((self.gap - self.usual - self.pixel) / INK_EXTRA, 0.0), INK_MAX)

    @property
    def wide(self) -> bool:
        """Wide enough to outweigh a joiner or a number's inner point (09:49 - 27/06/18)."""
        return self.gap >= INK_SPACE and self.gap >= STRONG_INK * self.usual + self.pixel


def usual_gap(gaps: Sequence[float], text: str, odds: Sequence[float]) -> float:
    """The line's usual blank run between Latin neighbours: the median over the pairs the model
    is sure are inside a word (space odds below IN_WORD), over all Latin pairs when there are
    none, and over all pairs (CJK ones too) on a line without two Latin neighbours."""
    pairs = [i for i in range(len(gaps)) if not (text[i].isspace() or text[i + 1].isspace())]
    latin = [i for i in pairs if not (is_cjk(text[i]) or is_cjk(text[i + 1]))]
    inside = [gaps[i] for i in latin if odds[i] < IN_WORD] or [gaps[i] for i in latin or pairs]
    return statistics.median(inside) if inside else 0.0


def wants_space(glyphs: Glyphs, text: str, i: int, pitch: Pitch, ink: Ink | None = None) -> bool:
    """Whether a space belongs between character i and i+1 (neither of them a space)."""
    a, b = text[i], text[i + 1]
    if is_cjk(a) and is_cjk(b):
        return False
    odds = glyphs.space_odds[i]
    unit = pitch.latin
    gap = glyphs.centre(i + 1) - glyphs.centre(i)
    excess = (gap - (pitch.of(a) + pitch.of(b)) / 2) / unit if unit > 0 else 0.0
    if ink is not None and ink.wide and excess >= WIDER:
        return True
    if _decimal_mark(text, i) or _decimal_mark(text, i + 1):
        return False
    if odds >= SURE_SPACE:
        return True
    if unit <= 0 or a in JOINERS or b in JOINERS or b in CLOSERS or a in OPENERS:
        return False
    if b == ":" and a in POINTS:
        return False
    evidence = odds / SURE_SPACE + min(max(excess / WIDE_GAP, -1.0), 1.0)
    if ink is not None:
        evidence += ink.evidence / 2 if a in NARROW or b in NARROW else ink.evidence
    return evidence >= EVIDENCE


def ink_gaps(glyphs: Glyphs, text: str, crop: np.ndarray | None) -> tuple[list[float], float] | None:
    """For each pair of neighbours, the widest ink-free run between their centres, and one
    pixel, in text heights (None without a crop)."""
    if crop is None or crop.size == 0:
        return None
    blank, height = blank_columns(crop)
    scale = crop.shape[1] / glyphs.columns
    gaps = [
        widest_blank(blank, glyphs.centre(i) * scale, glyphs.centre(i + 1) * scale) / height
        for i in range(len(text) - 1)
    ]
    return gaps, 1.0 / height


def _word_text(text: str, indices: Sequence[int], glyphs: Glyphs, points: set[int]) -> str:
    """One word's characters, with dropped points put back and lookalike digits read as letters
    when the recogniser's second choices are known (`characters.py`)."""
    if not glyphs.second:
        return "".join(text[k] for k in indices)
    chars: list[str] = []
    seconds: list[Reading] = []
    for k in indices:
        chars.append(text[k])
        seconds.append(glyphs.second[k])
        if k in points:
            chars.append(glyphs.dropped[k][0])
            seconds.append(NONE)
    return fix_lookalikes("".join(chars), seconds)


def spaced_words(text: str, glyphs: Glyphs | None, crop: np.ndarray | None = None) -> list[Word]:
    """The line's words, with the spaces the recogniser left out put back.

    Without positions (or when they do not match the text) the text is split on its own
    spaces and every word spans the whole line. With the model's second choices, dropped
    decimal points come back and lookalike digits in words become letters (`characters.py`).
    """
    if glyphs is None or len(glyphs.starts) != len(text) or not text or glyphs.columns <= 0:
        return [Word(w, 0.0, 1.0) for w in text.split()]
    pitch = typical_pitch(glyphs, text)
    measured = ink_gaps(glyphs, text, crop)
    gaps, pixel = measured if measured is not None else (None, 0.0)
    usual = usual_gap(gaps, text, glyphs.space_odds) if gaps is not None else 0.0
    found = glyphs.dropped if len(glyphs.dropped) == len(text) - 1 else ()
    points = dropped_points(text, found, glyphs.space_odds)
    words: list[Word] = []
    current: list[int] = []

    def close() -> None:
        if current:
            first, last = current[0], current[-1]
            left = max(glyphs.centre(first) - pitch.of(text[first]) / 2, 0.0) / glyphs.columns
            right = min(glyphs.centre(last) + pitch.of(text[last]) / 2, glyphs.columns) / glyphs.columns
            words.append(Word(_word_text(text, current, glyphs, points), min(left, 1.0), max(right, left)))
            current.clear()

    for i, char in enumerate(text):
        if char.isspace():
            close()
            continue
        ink = None if gaps is None or i == 0 else Ink(gaps[i - 1], usual, pixel)
        spaced = current and not text[i - 1].isspace() and i - 1 not in points  # a point fills its gap
        if spaced and wants_space(glyphs, text, i - 1, pitch, ink):
            close()
        current.append(i)
    close()
    return words


class Recognition(NamedTuple):
    """A recogniser's reading of one crop: spaced text, confidence, and its words."""

    text: str
    score: float
    words: tuple[Word, ...] = ()


def recognition(
    text: str, score: float, glyphs: Glyphs | None, crop: np.ndarray | None = None
) -> Recognition:
    """The reading with the left-out spaces put back (see the module docstring)."""
    words = tuple(spaced_words(text, glyphs, crop))
    return Recognition(" ".join(w.text for w in words), score, words)


def reading_frame(quad: Sequence[Sequence[float]], turned: bool, flipped: bool) -> list[Point]:
    """The crop's corners as top-left, top-right, bottom-right, bottom-left in reading direction.

    `quad` is the detected box (clockwise from top-left); `turned` crops were rotated 90 degrees
    counter-clockwise (tall boxes) and `flipped` ones 180 degrees before recognition.
    """
    corners = [(float(x), float(y)) for x, y in quad]
    if turned:
        corners = corners[1:] + corners[:1]
    if flipped:
        corners = corners[2:] + corners[:2]
    return corners


def word_box(frame: Sequence[Point], word: Word) -> list[Point]:
    """The part of a line's box (its reading frame) that one word covers."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = frame

    def along(ax: float, ay: float, bx: float, by: float, t: float) -> Point:
        return (ax + (bx - ax) * t, ay + (by - ay) * t)

    return [
        along(x0, y0, x1, y1, word.start),
        along(x0, y0, x1, y1, word.end),
        along(x3, y3, x2, y2, word.end),
        along(x3, y3, x2, y2, word.start),
    ]
