"""Median against median: saturated cells against the interleaved limit."""

from __future__ import annotations

from typing import Any

from loadtest.report.analysis import saturated_lines
from loadtest.report.data import physical


def cell(ocr: int, concurrency: int, throughput: float) -> dict[str, Any]:
    return {"ocr": ocr, "users": 1, "mode": "closed", "concurrency": concurrency, "rate": None,
            "throughput": throughput, "cell": f"o{ocr}-u1-c{concurrency}"}  # fmt: skip


def test_the_saturated_cells_median_against_the_limit() -> None:
    runs = [{"processes": 2, "images_per_second": r, "cpu_seconds_per_image": 0.4, "quiet": True}
            for r in (4.0, 4.4, 4.2)]  # fmt: skip
    data = {"physical": runs}
    _, many = physical(data)
    assert many is not None
    cells = [cell(2, 1, 2.0), cell(2, 2, 3.9), cell(2, 4, 4.1), cell(2, 8, 4.0), cell(1, 8, 2.1)]
    (line,) = saturated_lines(cells, data, many)
    assert "the 2 saturated cells with 2 OCR instances" in line  # c4 and c8, not c1/c2 or one node
    assert "median of 4.05 img/s, 96% of the limit" in line and "ranged 4.00–4.40" in line
    assert "(the target of at least 95% is met)" in line  # the verdict goes on the median


def test_a_median_under_95_percent_of_the_limit_misses_the_target() -> None:
    data = {"physical": [{"processes": 2, "images_per_second": 4.2, "cpu_seconds_per_image": 0.4}]}
    _, many = physical(data)
    assert many is not None
    (line,) = saturated_lines([cell(2, 4, 3.9), cell(2, 8, 3.95)], data, many)
    assert "93% of the limit (the target of at least 95% is not met)" in line


def test_no_saturated_cell_no_line() -> None:
    data = {"physical": [{"processes": 2, "images_per_second": 4.0, "cpu_seconds_per_image": 0.4}]}
    _, many = physical(data)
    assert many is not None and saturated_lines([cell(2, 1, 2.0)], data, many) == []


def test_the_cells_counted_per_node_beside_the_window_count() -> None:
    data = {"physical": [{"processes": 2, "images_per_second": 0.42, "cpu_seconds_per_image": 4.6}]}
    _, many = physical(data)
    assert many is not None
    cells = [cell(2, 4, 0.40) | {"node_rate": 0.415}, cell(2, 8, 0.40) | {"node_rate": 0.419}]
    counted, per_node = saturated_lines(cells, data, many)
    assert "median of 0.40 img/s, 95% of the limit" in counted
    assert "median is 0.42 img/s, 99% of the limit" in per_node
