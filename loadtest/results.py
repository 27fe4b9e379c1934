"""Results on disk: requests.csv and cells.csv (rows appended as each cell ends) and results.json."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import platform
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from loadtest.stats import Request, cell_figures, started_in

REQUEST_FIELDS = ("cell", "kind", "start", "latency", "status", "code", "instance", "in_window")
CELL_FIELDS = (
    "cell",
    "mode",
    "scenario",
    "ocr",
    "users",
    "concurrency",
    "rate",
    "requests",
    "successes",
    "failures",
    "failure_rate",
    "duration",
    "throughput",
    "mean",
    "p50",
    "p90",
    "p95",
    "p99",
    "max",
    "login_requests",
    "login_failures",
    "login_p50",
    "login_p95",
    "failures_by_cause",
    "share_by_instance",
)
ROLE_FIELDS = ("cpu_mean", "cpu_max", "rss_max_mb")
PACKAGES = ("paddlepaddle", "paddleocr", "fastapi", "uvicorn", "httpx", "nacos-sdk-python", "locust")


def cpu_model() -> str:
    """The 'model name' line of /proc/cpuinfo, or platform.processor()."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine(nacos_kind: str, argv: list[str]) -> dict[str, Any]:
    """What ran the test: cores, memory, CPU model, versions, Nacos kind, the command line."""
    mem = psutil.virtual_memory()
    return {
        "cores": psutil.cpu_count() or 1,
        "physical_cores": psutil.cpu_count(logical=False),
        "memory_gb": round(mem.total / 2**30, 1),
        "memory_available_gb_at_start": round(mem.available / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "packages": {name: _version(name) for name in PACKAGES},
        "nacos_kind": nacos_kind,
        "command": " ".join(argv),
    }


def _clean(value: Any) -> Any:
    """JSON has no NaN: write null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class ResultsDir:
    """One results folder; every write leaves it consistent so a stopped sweep can still be reported."""

    def __init__(self, out: Path) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.data: dict[str, Any] = {"machine": {}, "config": {}, "physical": [], "cells": [], "locust": None}

    def save(self) -> None:
        tmp = self.out / "results.json.tmp"
        tmp.write_text(json.dumps(_clean(self.data), indent=1, ensure_ascii=False))
        tmp.replace(self.out / "results.json")

    def add_cell(self, cell: dict[str, Any], requests: Iterable[tuple[Request, bool]]) -> None:
        """Append the cell's request rows and summary row, then rewrite results.json."""
        _append(
            self.out / "requests.csv",
            REQUEST_FIELDS,
            (
                [
                    cell["cell"],
                    r.kind,
                    f"{r.start:.4f}",
                    f"{r.latency:.4f}",
                    r.status,
                    r.code,
                    r.instance,
                    int(w),
                ]
                for r, w in requests
            ),
        )
        row = [_csv_value(cell.get(k)) for k in CELL_FIELDS]
        roles = sorted(cell.get("resources", {}))
        fields = [*CELL_FIELDS, *(f"{f}_{role}" for role in roles for f in ROLE_FIELDS)]
        row += [_csv_value(cell["resources"][role][f]) for role in roles for f in ROLE_FIELDS]
        _append(self.out / "cells.csv", tuple(fields), [row])
        self.data["cells"].append(cell)
        self.save()


def _csv_value(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return "" if value is None else value


def _append(path: Path, fields: tuple[str, ...], rows: Iterable[list[Any]]) -> None:
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(fields)
        writer.writerows(rows)


def recompute(folder: Path) -> int:
    """Recompute every cell's figures from requests.csv with the current counting rule
    (`stats.cell_figures`); rewrites results.json, cells.csv and the in_window column. Returns cells."""
    data = load_results(folder)
    rows = read_requests(folder)
    by_cell: dict[str, list[Request]] = {}
    for row in rows:
        by_cell.setdefault(row["cell"], []).append(
            Request(
                row["kind"],
                float(row["start"]),
                float(row["latency"]),
                int(row["status"]),
                row["code"],
                row["instance"],
            )
        )
    out = ResultsDir(folder)
    out.data = {**data, "cells": []}
    (folder / "requests.csv").unlink()
    (folder / "cells.csv").unlink(missing_ok=True)
    for cell in data["cells"]:
        requests = by_cell.get(cell["cell"], [])
        start, end = float(cell["warmup"]), float(cell["warmup"]) + float(cell["duration"])
        ocr = cell_figures([r for r in requests if r.kind == "ocr"], start, end)
        login = cell_figures([r for r in requests if r.kind == "login"], start, end)
        cell.update(dataclasses.asdict(ocr))
        cell.update(
            login_requests=login.requests,
            login_failures=login.failures,
            login_p50=login.p50,
            login_p95=login.p95,
        )
        counted = set(map(id, started_in(requests, start, end)))
        out.add_cell(cell, ((r, id(r) in counted) for r in requests))
    return len(data["cells"])


def load_results(folder: Path) -> dict[str, Any]:
    """results.json of a results folder (cells finished so far, if the sweep was stopped)."""
    path = folder / "results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `ocr-mesh loadtest --out {folder}` first")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_requests(folder: Path) -> list[dict[str, str]]:
    """The rows of requests.csv."""
    path = folder / "requests.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
