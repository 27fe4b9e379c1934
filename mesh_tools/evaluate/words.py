"""Scores that see spaces and rows, beside the whitespace-free CER of `scoring.py`.

Word error rate (Latin items): both texts NFKC-normalised and case-folded, split on
whitespace; WER = word-level edit distance / number of label words. Line breaks count as
whitespace, so WER sees reading order and left-out spaces but not how rows are split.
"Words" made of one decoration character repeated (`**`, `---`, `>>>`) are left out on
both sides: SROIE does not label those rows (see the set's README).

Row score (pages): the label's rows (its `text` split on newlines: boxes on one row joined
by a space) and the prediction's text lines are each normalised as for CER (no whitespace,
`scoring.normalize`). Every label row is paired with a distinct predicted row, closest
pairs first; the score is the summed edit distance over the summed label-row length, a
label row left without a partner counting in full. A price read on its own line, or an
item glued to the next row's price, costs characters here, whatever the rows' order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from mesh_tools.evaluate.scoring import edit_distance, normalize

DECORATION = re.compile(r"([*=\-_~<>.#])\1+")  # a run of 2+ of one decoration character


@dataclass(frozen=True)
class WordErrors:
    """Word-level edit distance against the label and the label's word count."""

    distance: int
    length: int

    @property
    def rate(self) -> float:
        if not self.length:
            return 0.0 if not self.distance else 1.0
        return self.distance / self.length


def words_of(text: str) -> list[str]:
    """NFKC, case-folded, split on whitespace; decoration runs (`***`, `---`) left out."""
    return [w for w in unicodedata.normalize("NFKC", text).casefold().split() if not DECORATION.fullmatch(w)]


def word_errors(predicted: str, truth: str) -> WordErrors:
    """Word errors of `predicted` against `truth` (see the module docstring)."""
    gt = words_of(truth)
    return WordErrors(edit_distance(words_of(predicted), gt), len(gt))


def row_score(predicted: str, truth: str, case_sensitive: bool = True) -> float:
    """Row-aware page CER (see the module docstring); lower is better."""
    gt_rows = [r for r in (normalize(x, case_sensitive) for x in truth.split("\n")) if r]
    pred_rows = [r for r in (normalize(x, case_sensitive) for x in predicted.split("\n")) if r]
    total = sum(len(r) for r in gt_rows)
    if not total:
        return 0.0
    pairs = sorted(
        (edit_distance(p, g) / len(g), edit_distance(p, g), gi, pi)
        for gi, g in enumerate(gt_rows)
        for pi, p in enumerate(pred_rows)
        if abs(len(p) - len(g)) < len(g)  # a partner at least that far off is no better than none
    )
    distance = 0
    gt_free, pred_free = set(range(len(gt_rows))), set(range(len(pred_rows)))
    for rate, dist, gi, pi in pairs:
        if gi in gt_free and pi in pred_free and rate < 1.0:
            distance += dist
            gt_free.discard(gi)
            pred_free.discard(pi)
    distance += sum(len(gt_rows[gi]) for gi in gt_free)
    return distance / total
