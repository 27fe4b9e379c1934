"""Character error rate and the order-free page score used by `ocr-mesh eval`.

Normalisation (both sides): Unicode NFKC, every whitespace character and middle dot
(`·`, `•`, `・`) removed, and case folded when the item is not case sensitive. The dots go
because of the set's known label caveats: CCPD labels leave out the plate's printed `·`,
and MTWI labels write `·` where the image shows `•`.

Line items: CER = edit distance(prediction, GT) / len(GT), the prediction being all
recognised text joined.

Page items with labelled boxes (`page_score`):

1. A predicted line whose box centre lies inside an `ignore` box is dropped.
2. A prediction p and a labelled line g are *linked* when their quads overlap by at least
   half of the smaller of the two areas (area(p ∩ g) >= 0.5 * min(area(p), area(g))), or
   when p's centre lies inside g. This allows one GT line read as several boxes, and one
   box covering several GT lines on a row.
3. Linked lines form connected groups. In each group the GT texts and the predicted texts
   are each put in reading order and concatenated; the group's edit distance is
   that of the two strings, and its CER is distance / len(GT string).
4. A labelled line linked to nothing is a full error: distance = its length, CER = 1.
5. The page CER is the sum of the distances over the sum of the GT lengths (lower is
   better). Predictions linked to nothing are counted as `extra` and not penalised,
   because the sets do not label all text (SROIE decorations, MTWI background).
6. Line recall is the share of labelled lines whose group CER is <= RECALL_CER (0.2).

Pages without boxes (the Tesseract page) are scored on their whole text instead, and
every page also gets `text_cer`, the CER of the whole text in the service's reading order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ocr_service.layout import Box, OcrLine, reading_order, to_box

RECALL_CER = 0.2
MIN_OVERLAP = 0.5
_DROPPED = re.compile(r"[\s·•・]+")


def normalize(text: str, case_sensitive: bool = True) -> str:
    """NFKC, no whitespace or middle dots, case-folded unless case_sensitive."""
    squashed = _DROPPED.sub("", unicodedata.normalize("NFKC", text))
    return squashed if case_sensitive else squashed.casefold()


def edit_distance(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Levenshtein distance (insert, delete, substitute all cost 1) of strings or word lists."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(predicted: str, truth: str) -> float:
    """Edit distance over the GT length; an empty GT scores 0 if nothing was predicted, else 1."""
    if not truth:
        return 0.0 if not predicted else 1.0
    return edit_distance(predicted, truth) / len(truth)


@dataclass(frozen=True)
class LabelLine:
    """One labelled box of a page."""

    text: str
    box: Box
    ignore: bool = False


@dataclass(frozen=True)
class PageScore:
    """Order-free page score: total distance over total GT length, and per-line CERs."""

    distance: int
    length: int
    line_cers: list[float]
    extra: int

    @property
    def cer(self) -> float:
        return self.distance / self.length if self.length else 0.0

    @property
    def recall(self) -> float:
        """Share of labelled lines read with CER <= RECALL_CER."""
        if not self.line_cers:
            return 1.0
        return sum(c <= RECALL_CER for c in self.line_cers) / len(self.line_cers)


def _quad(box: Box) -> np.ndarray:
    return np.asarray(box, dtype=np.float32).reshape(-1, 1, 2)


def _area(box: Box) -> float:
    return abs(float(cv2.contourArea(_quad(box))))


def _centre(box: Box) -> tuple[float, float]:
    return sum(x for x, _ in box) / len(box), sum(y for _, y in box) / len(box)


def _inside(point: tuple[float, float], box: Box) -> bool:
    return cv2.pointPolygonTest(_quad(box), point, False) >= 0


def _overlap(a: Box, b: Box) -> float:
    """Intersection area of two quads (convex hulls, so slightly skewed quads work too)."""
    hull_a = cv2.convexHull(_quad(a))
    hull_b = cv2.convexHull(_quad(b))
    area, _ = cv2.intersectConvexConvex(hull_a, hull_b)
    return float(area)


def linked(pred: Box, truth: Box) -> bool:
    """Rule 2 of the module docstring."""
    if _inside(_centre(pred), truth):
        return True
    smaller = min(_area(pred), _area(truth))
    return smaller > 0 and _overlap(pred, truth) >= MIN_OVERLAP * smaller


def _groups(n_truth: int, n_pred: int, links: list[tuple[int, int]]) -> list[tuple[list[int], list[int]]]:
    """Connected components of the bipartite link graph, as (truth indices, pred indices)."""
    parent = list(range(n_truth + n_pred))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for t, p in links:
        parent[find(t)] = find(n_truth + p)
    members: dict[int, tuple[list[int], list[int]]] = {}
    for i in range(n_truth + n_pred):
        truths, preds = members.setdefault(find(i), ([], []))
        (truths if i < n_truth else preds).append(i if i < n_truth else i - n_truth)
    return list(members.values())


def _joined(lines: Sequence[OcrLine], case_sensitive: bool) -> str:
    return "".join(normalize(ln.text, case_sensitive) for ln in reading_order(lines))


def page_score(
    predicted: Sequence[OcrLine], labels: Sequence[LabelLine], case_sensitive: bool = True
) -> PageScore:
    """Order-free page score (see the module docstring)."""
    ignored = [lb.box for lb in labels if lb.ignore]
    truth = [OcrLine(lb.text, 1.0, lb.box) for lb in labels if not lb.ignore]
    preds = [p for p in predicted if not any(_inside(_centre(p.box), box) for box in ignored)]
    links = [(t, p) for t, gt in enumerate(truth) for p, pr in enumerate(preds) if linked(pr.box, gt.box)]
    distance = length = extra = 0
    line_cers = [1.0] * len(truth)
    for t_idx, p_idx in _groups(len(truth), len(preds), links):
        if not t_idx:
            extra += len(p_idx)
            continue
        gt_text = _joined([truth[i] for i in t_idx], case_sensitive)
        pred_text = _joined([preds[i] for i in p_idx], case_sensitive)
        dist = edit_distance(pred_text, gt_text)
        distance += dist
        length += len(gt_text)
        for i in t_idx:
            line_cers[i] = dist / len(gt_text) if gt_text else float(bool(pred_text))
    return PageScore(distance, length, line_cers, extra)


def text_score(predicted: str, truth: str, case_sensitive: bool = True) -> PageScore:
    """Whole-text score: one group holding all of the text (used for items without boxes)."""
    pred, gt = normalize(predicted, case_sensitive), normalize(truth, case_sensitive)
    dist = edit_distance(pred, gt)
    return PageScore(dist, len(gt), [dist / len(gt) if gt else float(bool(pred))], 0)


def label_lines(raw: Sequence[dict[str, object]]) -> list[LabelLine]:
    """LabelLine objects from a labels.jsonl `lines` list."""
    out = []
    for item in raw:
        points = item["points"]
        assert isinstance(points, list)
        out.append(LabelLine(str(item["text"]), to_box(points), bool(item.get("ignore", False))))
    return out
