"""Summaries and the side-by-side table of `ocr-mesh eval`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from mesh_tools.evaluate.runner import ItemResult
from mesh_tools.evaluate.scoring import RECALL_CER


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _pooled_wer(results: Sequence[ItemResult]) -> float:
    words = sum(r.words for r in results)
    return sum(r.word_errors for r in results) / words if words else 0.0


def summarize(results: Sequence[ItemResult]) -> dict[str, float]:
    """Means over items: line CER and recall of `line` items, page score, recall and text CER of pages."""
    lines = [r for r in results if r.kind == "line"]
    pages = [r for r in results if r.kind == "page"]
    latin = [r for r in results if r.wer is not None]
    words = sum(r.words for r in latin)
    return {
        "line_items": len(lines),
        "line_cer": _mean([r.cer for r in lines]),
        "line_recall": _mean([r.recall for r in lines]),
        "page_items": len(pages),
        "page_cer": _mean([r.cer for r in pages]),
        "page_recall": _mean([r.recall for r in pages]),
        "page_text_cer": _mean([r.text_cer for r in pages]),
        "page_row_cer": _mean([r.row_cer for r in pages if r.row_cer is not None]),
        "cjk_cer": _mean([r.cer for r in results if r.lang in ("ch", "mixed")]),
        "latin_items": len(latin),
        "wer": sum(r.word_errors for r in latin) / words if words else 0.0,
        "wer_pages": _pooled_wer([r for r in latin if r.kind == "page"]),
        "wer_lines": _pooled_wer([r for r in latin if r.kind == "line"]),
        "seconds": sum(r.seconds for r in results),
    }


SUMMARY_ROWS = (
    ("line_cer", "line CER (mean over line items)"),
    ("line_recall", f"line recall (CER <= {RECALL_CER})"),
    ("page_cer", "page score (order-free CER, mean)"),
    ("page_recall", f"page line recall (CER <= {RECALL_CER})"),
    ("page_text_cer", "page whole-text CER (reading order)"),
    ("page_row_cer", "page row score (row-aware CER, mean)"),
    ("cjk_cer", "Chinese + mixed items: CER / page score, mean"),
    ("wer", "WER, Latin items (word errors / words)"),
    ("wer_pages", "WER, Latin pages"),
    ("wer_lines", "WER, Latin line items"),
    ("seconds", "seconds (sum over images)"),
)


def _optional(value: float | None) -> str:
    return f"{value:6.3f}" if value is not None else f"{'-':>6}"


def _cells(r: ItemResult) -> str:
    return f"{r.cer:12.3f} {r.recall:7.2f} {_optional(r.wer)} {_optional(r.row_cer)}"


def table(runs: dict[str, list[ItemResult]]) -> str:
    """Per-image rows (CER / recall of each path) and the overall summary, paths side by side."""
    names = list(runs)
    first = runs[names[0]]
    head = f"{'image':36} {'kind':5} " + " ".join(
        f"{n + ' cer':>12} {'recall':>7} {'wer':>6} {'row':>6}" for n in names
    )
    out = [head, "-" * len(head)]
    for i, item in enumerate(first):
        cells = " ".join(_cells(runs[n][i]) for n in names)
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
