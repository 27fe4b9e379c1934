"""Text lines, their boxes, and reading order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

Point = tuple[float, float]
Box = list[Point]


@dataclass(frozen=True)
class WordBox:
    """One word of a line and its 4-corner box in image pixels."""

    text: str
    box: Box


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its text, confidence, 4-corner box and words in image pixels."""

    text: str
    score: float
    box: Box
    words: tuple[WordBox, ...] = ()
    row: int = -1  # lines with the same row number (>= 0) next to each other share a text line

    def map_boxes(self, fn: Callable[[Box], Box]) -> OcrLine:
        """The same line with `fn` applied to its box and to every word's box."""
        words = tuple(WordBox(w.text, fn(w.box)) for w in self.words)
        return replace(self, box=fn(self.box), words=words)

    @property
    def right(self) -> float:
        return max(x for x, _ in self.box)

    @property
    def top(self) -> float:
        return min(y for _, y in self.box)

    @property
    def bottom(self) -> float:
        return max(y for _, y in self.box)

    @property
    def left(self) -> float:
        return min(x for x, _ in self.box)


def to_box(points: Iterable[Sequence[float]]) -> Box:
    """Four (x, y) corners as floats."""
    return [(float(p[0]), float(p[1])) for p in points]


def scale_box(box: Box, factor: float) -> Box:
    """Map a box from the processed image back to original pixels, to one decimal."""
    return [(round(x * factor, 1), round(y * factor, 1)) for x, y in box]


def group_rows(lines: Iterable[OcrLine]) -> list[list[OcrLine]]:
    """Lines grouped into visual rows, top to bottom, each row left to right.

    A line joins the current row when it overlaps the row's first line vertically by at
    least half of the smaller height, so uneven lines on one row stay together while
    rows never grow by chaining.
    """
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.top + ln.bottom) / 2):
        if rows:
            anchor = rows[-1][0]
            overlap = min(anchor.bottom, line.bottom) - max(anchor.top, line.top)
            smaller = max(min(anchor.bottom - anchor.top, line.bottom - line.top), 1.0)
            if overlap >= 0.5 * smaller:
                rows[-1].append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda ln: ln.left) for row in rows]


def reading_order(lines: Iterable[OcrLine]) -> list[OcrLine]:
    """Top-to-bottom rows, left-to-right within a row (see group_rows)."""
    return [line for row in group_rows(lines) for line in row]
