"""Results I/O: CSV rows appended per cell, results.json rewritten, machine description."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from loadtest.results import ResultsDir, load_results, machine, read_requests
from loadtest.stats import Request


def _cell(name: str) -> dict[str, object]:
    return {
        "cell": name,
        "mode": "closed",
        "scenario": "ocr",
        "ocr": 1,
        "users": 1,
        "concurrency": 2,
        "rate": None,
        "requests": 2,
        "successes": 1,
        "failures": 1,
        "failure_rate": 0.5,
        "duration": 5.0,
        "throughput": 0.2,
        "mean": 1.0,
        "p50": 1.0,
        "p90": 1.0,
        "p95": 1.0,
        "p99": 1.0,
        "max": 1.0,
        "login_requests": 0,
        "login_failures": 0,
        "login_p50": math.nan,
        "login_p95": math.nan,
        "failures_by_cause": {"503/overloaded": 1},
        "share_by_instance": {"127.0.0.1:8101": 1.0},
        "resources": {"gateway": {"cpu_mean": 12.5, "cpu_max": 30.0, "rss_max_mb": 80.0}},
    }


def test_cells_append_and_reload(tmp_path: Path) -> None:
    res = ResultsDir(tmp_path)
    res.data["machine"] = machine("rnacos", ["ocr-mesh", "loadtest", "--ocr", "1"])
    reqs = [
        Request("ocr", 0.1, 1.0, 200, "", "127.0.0.1:8101"),
        Request("ocr", 0.2, 0.5, 503, "overloaded", ""),
    ]
    res.add_cell(_cell("o1-u1-c2"), [(reqs[0], True), (reqs[1], True)])
    res.add_cell(_cell("o2-u1-c2"), [(reqs[0], False)])

    data = load_results(tmp_path)
    assert [c["cell"] for c in data["cells"]] == ["o1-u1-c2", "o2-u1-c2"]
    assert data["cells"][0]["login_p50"] is None  # NaN is written as null
    assert data["machine"]["cores"] >= 1 and data["machine"]["command"] == "ocr-mesh loadtest --ocr 1"
    assert data["machine"]["nacos_kind"] == "rnacos" and "paddleocr" in data["machine"]["packages"]

    rows = read_requests(tmp_path)
    assert [(r["cell"], r["status"], r["code"], r["in_window"]) for r in rows] == [
        ("o1-u1-c2", "200", "", "1"),
        ("o1-u1-c2", "503", "overloaded", "1"),
        ("o2-u1-c2", "200", "", "0"),
    ]
    with (tmp_path / "cells.csv").open() as f:
        cells = list(csv.DictReader(f))
    assert len(cells) == 2 and cells[0]["cpu_mean_gateway"] == "12.5"
    assert json.loads(cells[0]["failures_by_cause"]) == {"503/overloaded": 1}
    assert not (tmp_path / "results.json.tmp").exists()
