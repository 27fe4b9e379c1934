"""Views of the results that the charts, the tables and the analysis share."""

from __future__ import annotations

import math
import statistics
from typing import Any

Cell = dict[str, Any]
ROLE_ORDER = ("ocr-service", "gateway", "user-service", "nacos", "loadgen", "other")


def num(value: Any) -> float:
    """A figure from results.json (null there means 'no value')."""
    return math.nan if value is None else float(value)


def x_of(cell: Cell) -> float:
    """The load level: concurrency (closed loop) or arrival rate (open loop)."""
    return num(cell["rate"]) if cell["mode"] == "open" else float(cell["concurrency"])


def x_label(cells: list[Cell]) -> str:
    if cells and cells[0]["mode"] == "open":
        return "offered rate (requests/s)"
    return "concurrency (closed-loop clients)"


def by_users(cells: list[Cell]) -> dict[int, list[Cell]]:
    out: dict[int, list[Cell]] = {}
    for c in cells:
        out.setdefault(int(c["users"]), []).append(c)
    return dict(sorted(out.items()))


def by_ocr(cells: list[Cell]) -> dict[int, list[Cell]]:
    out: dict[int, list[Cell]] = {}
    for c in sorted(cells, key=x_of):
        out.setdefault(int(c["ocr"]), []).append(c)
    return dict(sorted(out.items()))


def best(cells: list[Cell]) -> Cell:
    """The cell with the highest throughput."""
    return max(cells, key=lambda c: num(c["throughput"]))


def physical(data: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The raw-library limit with 1 process, and with the most processes (None if not run).

    A sweep measures it between its cells: the limit is the median of the measurements taken on
    a quiet machine (of all of them, flagged `quiet: False`, when none was), with `measured`
    and `left_out` (busy) counts added."""
    runs = data.get("physical") or []
    if not runs:
        return None, None

    def limit(processes: int) -> dict[str, Any] | None:
        mine = [r for r in runs if r["processes"] == processes]
        if not mine:
            return None
        quiet = [r for r in mine if r.get("quiet", True)]
        used = quiet or mine
        rate = statistics.median(r["images_per_second"] for r in used)
        closest = min(used, key=lambda r: abs(r["images_per_second"] - rate))
        return closest | {
            "images_per_second": rate,
            "cpu_seconds_per_image": statistics.median(r["cpu_seconds_per_image"] for r in used),
            "measured": len(mine),
            "left_out": len(mine) - len(quiet) if quiet else 0,
            "quiet": bool(quiet),
        }

    return limit(1), limit(max(r["processes"] for r in runs))


def cpu(cell: Cell, role: str) -> float:
    return num(cell["resources"].get(role, {}).get("cpu_mean"))


def busy(cell: Cell, include_other: bool = True) -> float:
    """CPU used on the machine during the cell, in % of one core."""
    roles = ROLE_ORDER if include_other else ROLE_ORDER[:-1]
    return sum(cpu(cell, r) for r in roles if not math.isnan(cpu(cell, r)))


def instance_names(cell: Cell) -> dict[str, str]:
    """host:port → 'ocr #k' by port order, so cells compare whatever the ports were."""
    keys = sorted(cell.get("share_by_instance", {}), key=lambda k: int(k.rsplit(":", 1)[-1]))
    return {k: f"ocr #{i}" for i, k in enumerate(keys, 1)}
