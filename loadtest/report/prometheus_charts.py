"""Per-cell charts of what Prometheus recorded (OCR p95 latency and CPU per instance), for sweeps
run with `--monitor` or `--prometheus`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from loadtest.report.data import Cell

PANELS = (
    ("ocr_latency_p95_seconds", "OCR node latency p95 (s)"),
    ("cpu_cores", "CPU (cores)"),
)


def cell_series_chart(cell: Cell, out: Path) -> Path | None:
    """Latency and CPU over the cell's measured window, one line per instance; None without data."""
    series: dict[str, list[dict[str, Any]]] = cell.get("prometheus") or {}
    if not any(series.get(key) for key, _ in PANELS):
        return None
    fig, axes = plt.subplots(1, len(PANELS), figsize=(10, 3.4))
    for ax, (key, title) in zip(axes, PANELS, strict=True):
        for line in series.get(key, []):
            if line["points"]:
                xs, ys = zip(*line["points"], strict=True)
                ax.plot(xs, ys, marker=".", label=line["name"])
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("seconds into the measured window (+ one scrape)")
        ax.set_ylim(bottom=0)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.suptitle(f"Prometheus, cell {cell['cell']}", fontsize=11)
    fig.tight_layout()
    path = out / f"prometheus_{re.sub(r'[^A-Za-z0-9_.-]+', '_', str(cell['cell']))}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def prometheus_charts(cells: list[Cell], out: Path) -> list[Path]:
    return [p for p in (cell_series_chart(c, out) for c in cells) if p is not None]
