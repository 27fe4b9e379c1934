"""Summaries and the side-by-side table of `ocr-mesh eval`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from tools.evaluate.runner import ItemResult
from tools.evaluate.scoring import RECALL_CER


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def summarize(results: Sequence[ItemResult]) -> dict[str, float]:
    """Means over items: line CER and recall of `line` items, page score, recall and text CER of pages."""
    lines = [r for r in results if r.kind == "line"]
    pages = [r for r in results if r.kind == "page"]
    return {
        "line_items": len(lines),
        "line_cer": _mean([r.cer for r in lines]),
        "line_recall": _mean([r.recall for r in lines]),
        "page_items": len(pages),
        "page_cer": _mean([r.cer for r in pages]),
        "page_recall": _mean([r.recall for r in pages]),
        "page_text_cer": _mean([r.text_cer for r in pages]),
        "seconds": sum(r.seconds for r in results),
    }


SUMMARY_ROWS = (
    ("line_cer", "line CER (mean over line items)"),
    ("line_recall", f"line recall (CER <= {RECALL_CER})"),
    ("page_cer", "page score (order-free CER, mean)"),
    ("page_recall", f"page line recall (CER <= {RECALL_CER})"),
    ("page_text_cer", "page whole-text CER (reading order)"),
    ("seconds", "seconds (sum over images)"),
)


def table(runs: dict[str, list[ItemResult]]) -> str:
    """Per-image rows (CER / recall of each path) and the overall summary, paths side by side."""
    names = list(runs)
    first = runs[names[0]]
    head = f"{'image':36} {'kind':5} " + " ".join(f"{n + ' cer':>12} {'recall':>7}" for n in names)
    out = [head, "-" * len(head)]
    for i, item in enumerate(first):
        cells = " ".join(f"{runs[n][i].cer:12.3f} {runs[n][i].recall:7.2f}" for n in names)
        out.append(f"{item.image:36} {item.kind:5} {cells}")
    out.append("")
    summaries = {n: summarize(runs[n]) for n in names}
    out.append(f"{'overall':42} " + " ".join(f"{n:>12}" for n in names))
    for key, label in SUMMARY_ROWS:
        out.append(f"{label:42} " + " ".join(f"{summaries[n][key]:12.4f}" for n in names))
    return "\n".join(out)


def as_json(runs: dict[str, list[ItemResult]], folder: str) -> dict[str, Any]:
    """Everything the table shows, plus the text each path read."""
    return {
        "folder": folder,
        "recall_cer": RECALL_CER,
        "summary": {n: summarize(r) for n, r in runs.items()},
        "items": {n: [asdict(x) for x in r] for n, r in runs.items()},
    }
