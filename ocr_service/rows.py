"""Rows of text: lines on one visual row become one text line, columns of a page stay apart.

A receipt's item and its price, or a form's label and its value, are detected as separate
boxes on one row; `arrange` numbers them as one row, so `page_text` joins them with a space,
left to right, when they are of about the same size and level (`same_line`). A two-column
page is told apart by its gutter: at least MIN_COLUMN_ROWS rows where a wide line ends and
another wide line starts at the same place, with a narrow gap.
The rows around that gutter are read column by column, each line on its own text line.
Everything else keeps the reading order of `layout.group_rows`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import pairwise

from ocr_service.layout import OcrLine, group_rows

MIN_COLUMN_ROWS = 3  # rows that must share a gutter before a page counts as two columns
COLUMN_WIDTH = 8.0  # both lines at a gutter are at least this many line heights wide
MAX_GUTTER = 5.0  # a gutter is at most this many line heights wide
ALIGN = 1.0  # right column lines start within this many line heights of each other
RAGGED = 4.0  # left column lines end within this many line heights of each other
SAME_SIZE = 2.0  # neighbours on a row share a text line when neither is this much taller...
LEVEL = 0.5  # ...and their vertical centres differ by at most this share of the smaller height


def _height(line: OcrLine) -> float:
    return max(line.bottom - line.top, 1.0)


def _column_pair(a: OcrLine, b: OcrLine) -> bool:
    """a and b (a left of b on one row) look like the ends of two text columns."""
    h = max(_height(a), _height(b))
    gap = b.left - a.right
    wide = a.right - a.left >= COLUMN_WIDTH * h and b.right - b.left >= COLUMN_WIDTH * h
    return wide and 0 <= gap <= MAX_GUTTER * h


def find_gutter(rows: Sequence[Sequence[OcrLine]]) -> float | None:
    """The x of a two-column page's gutter, or None when the page has no such gutter."""
    pairs = [(a, b) for row in rows for a, b in pairwise(row) if _column_pair(a, b)]
    for _, b in pairs:
        h = _height(b)
        same = [(p, q) for p, q in pairs if abs(q.left - b.left) <= ALIGN * h]
        if len(same) < MIN_COLUMN_ROWS:
            continue
        ends = [p.right for p, _ in same]
        if max(ends) - min(ends) <= RAGGED * h:
            return (statistics.median(ends) + statistics.median(q.left for _, q in same)) / 2
    return None


def _crosses(line: OcrLine, gutter: float) -> bool:
    return line.left < gutter < line.right


def _blocks(rows: list[list[OcrLine]], gutter: float) -> list[list[list[OcrLine]]]:
    """Rows in reading order: runs of rows that no line crosses the gutter in become column
    blocks (left lines top to bottom, then right lines); other rows stay as they are."""
    out: list[list[list[OcrLine]]] = []
    run: list[list[OcrLine]] = []

    def flush() -> None:
        if run:
            left = [[ln for ln in row if ln.right <= gutter] for row in run]
            right = [[ln for ln in row if ln.left >= gutter] for row in run]
            out.append([r for r in left + right if r])
            run.clear()

    for row in rows:
        if any(_crosses(ln, gutter) for ln in row):
            flush()
            out.append([row])
        else:
            run.append(row)
    flush()
    return out


def same_line(a: OcrLine, b: OcrLine) -> bool:
    """Neighbours on a row that read as one line: about the same size and height on the page
    (a shop sign's small and large words on one row stay apart)."""
    ha, hb = _height(a), _height(b)
    centre_a, centre_b = (a.top + a.bottom) / 2, (b.top + b.bottom) / 2
    short = min(len(a.text.strip()), len(b.text.strip())) < 2  # a lone "1" gets a tight, low box
    if not short and max(ha, hb) > SAME_SIZE * min(ha, hb):
        return False
    return abs(centre_a - centre_b) <= LEVEL * (max(ha, hb) if short else min(ha, hb))


def arrange(lines: Iterable[OcrLine]) -> list[OcrLine]:
    """Lines in reading order, each numbered with the text line (row) it belongs to."""
    rows = group_rows(lines)
    gutter = find_gutter(rows)
    ordered = [row for block in _blocks(rows, gutter) for row in block] if gutter is not None else rows
    out: list[OcrLine] = []
    number = -1
    for row in ordered:
        for i, line in enumerate(row):
            if i == 0 or not same_line(row[i - 1], line):
                number += 1
            out.append(replace(line, row=number))
    return out


def page_text(lines: Sequence[OcrLine]) -> str:
    """Lines of one row joined by a space, rows by a newline (lines without a row: one each)."""
    out: list[str] = []
    previous = -1
    for line in lines:
        if out and line.row >= 0 and line.row == previous:
            out[-1] = f"{out[-1]} {line.text}"
        else:
            out.append(line.text)
        previous = line.row
    return "\n".join(out)
