"""matplotlib charts (Agg backend) of a sweep, saved as PNG files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from loadtest.report.data import (
    ROLE_ORDER,
    Cell,
    best,
    by_ocr,
    by_users,
    cpu,
    instance_names,
    num,
    physical,
    x_label,
    x_of,
)
from loadtest.report.prometheus_charts import prometheus_charts


def _limits(ax: Axes, data: dict[str, Any]) -> None:
    """Horizontal lines at the raw library's images/s (1 process, N processes)."""
    one, many = physical(data)
    if one is not None:
        ax.axhline(one["images_per_second"], color="grey", ls=":", label="raw PaddleOCR, 1 process")
    if many is not None and many is not one:
        label = f"raw PaddleOCR, {many['processes']} processes"
        ax.axhline(many["images_per_second"], color="black", ls="--", label=label)


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _log_x(ax: Axes, cells: list[Cell]) -> None:
    xs = sorted({x_of(c) for c in cells})
    if len(xs) > 1 and xs[0] > 0 and xs[-1] / xs[0] >= 8:
        ax.set_xscale("log", base=2)
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{x:g}" for x in xs])


def latency(cells: list[Cell], users: int, out: Path) -> Path:
    """Mean and p95 latency, and failure rate, vs load; one line per OCR instance count."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ocr, series in by_ocr(cells).items():
        xs = [x_of(c) for c in series]
        axes[0].plot(xs, [num(c["mean"]) for c in series], marker="o", label=f"{ocr} OCR")
        axes[1].plot(xs, [num(c["p95"]) for c in series], marker="o", label=f"{ocr} OCR")
        axes[2].plot(xs, [100 * num(c["failure_rate"]) for c in series], marker="o", label=f"{ocr} OCR")
    for ax, title in zip(axes, ("mean latency (s)", "p95 latency (s)", "failure rate (%)"), strict=True):
        ax.set_title(f"{title}, {users} user-service")
        ax.set_xlabel(x_label(cells))
        _log_x(ax, cells)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_ylim(bottom=0)
    return _save(fig, out / f"latency_users{users}.png")


def throughput_vs_load(cells: list[Cell], users: int, data: dict[str, Any], out: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for ocr, series in by_ocr(cells).items():
        ax.plot(
            [x_of(c) for c in series], [num(c["throughput"]) for c in series], marker="o", label=f"{ocr} OCR"
        )
    _limits(ax, data)
    ax.set_title(f"throughput vs load, {users} user-service")
    ax.set_xlabel(x_label(cells))
    ax.set_ylabel("successful OCR requests/s")
    _log_x(ax, cells)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out / f"throughput_users{users}.png")


def throughput_vs_ocr(cells: list[Cell], data: dict[str, Any], out: Path) -> Path:
    """Best throughput over the load levels per OCR instance count, against the physical limit."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for users, group in by_users(cells).items():
        ocrs = by_ocr(group)
        ax.plot(
            list(ocrs),
            [num(best(s)["throughput"]) for s in ocrs.values()],
            marker="o",
            label=f"mesh, {users} user-service (best over load)",
        )
    _limits(ax, data)
    ax.set_xticks(sorted({int(c["ocr"]) for c in cells}))
    ax.set_xlabel("OCR instances")
    ax.set_ylabel("successful OCR requests/s")
    ax.set_title("saturated throughput vs OCR instances")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out / "throughput_vs_ocr.png")


def shares(cells: list[Cell], out: Path) -> Path:
    """Share of successful requests served by each OCR instance, per cell."""
    fig, ax = plt.subplots(figsize=(max(7.5, 0.35 * len(cells)), 4.5))
    names = [c["cell"] for c in cells]
    bottoms = [0.0] * len(cells)
    labels = sorted({n for c in cells for n in instance_names(c).values()})
    for label in labels:
        values = []
        for c in cells:
            rename = instance_names(c)
            values.append(sum(v for k, v in c["share_by_instance"].items() if rename[k] == label))
        ax.bar(names, values, bottom=bottoms, label=label)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    ax.set_ylabel("share of successful requests")
    ax.set_title("requests served per OCR instance")
    ax.set_ylim(0, 1.05)
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    ax.legend(fontsize=8)
    return _save(fig, out / "instance_share.png")


def cpu_roles(cells: list[Cell], cores: int, out: Path) -> Path:
    """Mean CPU per process role in each cell (stacked), against the machine's cores."""
    fig, ax = plt.subplots(figsize=(max(7.5, 0.35 * len(cells)), 4.5))
    names = [c["cell"] for c in cells]
    bottoms = [0.0] * len(cells)
    for role in ROLE_ORDER:
        values = [max(0.0, cpu(c, role)) if cpu(c, role) == cpu(c, role) else 0.0 for c in cells]
        ax.bar(names, values, bottom=bottoms, label=role)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    ax.axhline(100 * cores, color="black", ls="--", label=f"{cores} cores")
    ax.set_ylabel("CPU, % of one core (mean over the window)")
    ax.set_title("CPU per process role")
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    ax.legend(fontsize=8, ncol=2, loc="lower right")
    return _save(fig, out / "cpu_roles.png")


def all_charts(data: dict[str, Any], out: Path) -> list[Path]:
    """Every chart for the cells in data; paths of the PNG files."""
    out.mkdir(parents=True, exist_ok=True)
    cells: list[Cell] = data["cells"]
    if not cells:
        return []
    paths = []
    for users, group in by_users(cells).items():
        paths.append(latency(group, users, out))
        paths.append(throughput_vs_load(group, users, data, out))
    paths.append(throughput_vs_ocr(cells, data, out))
    paths.append(shares(cells, out))
    paths.append(cpu_roles(cells, int(data["machine"].get("cores", 1)), out))
    return paths + prometheus_charts(cells, out)
