"""Text lines, their boxes, and reading order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Point = tuple[float, float]
Box = list[Point]


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its text, confidence and 4-corner box in image pixels."""

    text: str
    score: float
    box: Box

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


def reading_order(lines: Iterable[OcrLine]) -> list[OcrLine]:
    """Top-to-bottom rows, left-to-right within a row.

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
    return [line for row in rows for line in sorted(row, key=lambda ln: ln.left)]
