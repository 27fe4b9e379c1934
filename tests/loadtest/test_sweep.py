"""A short real sweep (real Nacos, real model, real processes), its report, and Locust beside it."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from loadtest.mesh import GATEWAY_ENV, free_nacos_port
from mesh.names import OCR_SERVICE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SWEEP = [
    "--ocr",
    "1,2",
    "--users",
    "1",
    "--concurrency",
    "1,4",
    "--duration",
    "6",
    "--warmup",
    "2",
    "--physical-seconds",
    "3",
    "--compare-locust",
    "2,1,4",
    "--monitor",  # a real Prometheus beside the mesh: its series per cell go into the report
]


def _cli(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mesh_tools.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("loadtest")
    results, report = root / "results", root / "report"
    port = str(free_nacos_port(12848))
    run = _cli(
        "loadtest",
        *SWEEP,
        "--out",
        str(results),
        "--data-dir",
        str(root / "mesh"),
        "--nacos-port",
        port,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    made = _cli("report", "--results", str(results), "--out", str(report), timeout=300)
    assert made.returncode == 0, made.stderr[-3000:]
    return results, report, json.loads((results / "results.json").read_text())


def test_every_planned_cell_ran(swept: tuple[Path, Path, dict[str, Any]]) -> None:
    _, _, data = swept
    assert [c["cell"] for c in data["cells"]] == ["o1-u1-c1", "o1-u1-c4", "o2-u1-c1", "o2-u1-c4"]
    assert data["machine"]["cores"] >= 1 and data["machine"]["command"].startswith("ocr-mesh loadtest")
    assert data["config"]["gateway_env"] == GATEWAY_ENV


def test_figures_are_consistent(swept: tuple[Path, Path, dict[str, Any]]) -> None:
    results, _, data = swept
    with (results / "requests.csv").open() as f:
        in_window = Counter(
            r["cell"] for r in csv.DictReader(f) if r["in_window"] == "1" and r["kind"] == "ocr"
        )
    for c in data["cells"]:
        assert c["successes"] > 0, c["cell"]
        assert c["requests"] == c["successes"] + c["failures"] == in_window[c["cell"]]
        assert sum(c["failures_by_cause"].values()) == c["failures"]
        assert c["failure_rate"] == pytest.approx(c["failures"] / c["requests"])
        assert c["p50"] <= c["p90"] <= c["p95"] <= c["p99"] <= c["max"]
        assert math.fsum(c["share_by_instance"].values()) == pytest.approx(1.0)
        assert c["throughput"] == pytest.approx(c["successes"] / c["duration"])
        assert c["duration"] == pytest.approx(6.0, abs=0.5)
        assert len(c["instances"][OCR_SERVICE]) == c["ocr"]
        res = c["resources"]
        assert res[OCR_SERVICE]["processes"] == c["ocr"] and res["gateway"]["processes"] == 1
        assert res["nacos"]["processes"] == 1 and res[OCR_SERVICE]["cpu_mean"] > 0
        assert res[OCR_SERVICE]["rss_max_mb"] > 100
        served = {int(k.rsplit(":", 1)[1]) for k in c["share_by_instance"]}
        assert served <= set(c["instances"][OCR_SERVICE])
    both = next(c for c in data["cells"] if c["cell"] == "o2-u1-c4")
    assert len(both["share_by_instance"]) == 2  # four clients keep both instances busy


def test_physical_limit_and_locust(swept: tuple[Path, Path, dict[str, Any]]) -> None:
    _, _, data = swept
    cores = data["machine"]["cores"]
    # Interleaved with the cells: before o1, before o2 (1 process once, at the start) and after.
    whens = [(r["when"], r["processes"]) for r in data["physical"]]
    assert whens == [
        *(("before o1-u1-c1", n) for n in sorted({1, cores})),
        ("before o2-u1-c1", cores),
        ("after the last cell", cores),
    ]
    assert all(r["images"] > 0 and r["images_per_second"] > 0 for r in data["physical"])
    assert all(r["other_cpu_percent"] >= 0 and isinstance(r["quiet"], bool) for r in data["physical"])
    cmp = data["locust"]
    assert cmp["cell"] == "o2-u1-c4" and cmp["exit_code"] == 0
    assert cmp["locust"] is not None and cmp["locust"]["requests"] > 0, cmp


def test_report_files(swept: tuple[Path, Path, dict[str, Any]]) -> None:
    _, report, data = swept
    md = (report / "report.md").read_text()
    page = (report / "report.html").read_text()
    charts = sorted(p.name for p in (report / "charts").glob("*.png"))
    per_cell = [f"prometheus_{c['cell']}.png" for c in data["cells"]]
    assert charts == sorted(
        [
            "latency_users1.png",
            "throughput_users1.png",
            "throughput_vs_ocr.png",
            "instance_share.png",
            "cpu_roles.png",
            *per_cell,
        ]
    )
    assert all((report / "charts" / n).stat().st_size > 5000 for n in charts)
    for name in charts:
        assert f"charts/{name}" in md and f"charts/{name}" in page
    assert "<script" not in page and "https://" not in page and "http://" not in page
    for c in data["cells"]:
        assert c["cell"] in md
    assert "OCR_MESH_RATE_PER_USER=0" in md and "## Analysis" in md


def test_each_cell_keeps_the_latency_and_cpu_series_prometheus_recorded(
    swept: tuple[Path, Path, dict[str, Any]],
) -> None:
    _, _, data = swept
    seen: set[str] = set()
    for cell in data["cells"]:
        series = cell["prometheus"]
        cpu = [s for s in series["cpu_cores"] if s["name"].startswith(OCR_SERVICE)]
        assert cpu and any(v > 0.05 for s in cpu for _, v in s["points"]), (cell["cell"], series)
        latency = series["ocr_latency_p95_seconds"]
        assert latency and all(0 < v < 60 for s in latency for _, v in s["points"]), (cell["cell"], series)
        seen |= {s["name"].rsplit(":", 1)[-1] for s in cpu}
    ports = {str(p) for c in data["cells"] for p in c["instances"][OCR_SERVICE]}
    assert ports <= seen  # every OCR node of the sweep was scraped
