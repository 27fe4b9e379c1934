"""The report's raw-library limit: the median of the quiet measurements taken between cells."""

from __future__ import annotations

from typing import Any

import pytest

from loadtest.report.analysis import physical_lines
from loadtest.report.data import physical


def run(processes: int, rate: float, quiet: bool = True, when: str = "") -> dict[str, Any]:
    return {
        "processes": processes,
        "images_per_second": rate,
        "cpu_seconds_per_image": processes / rate,
        "images": 40,
        "seconds": 10.0,
        "load_seconds": 3.0,
        "other_cpu_percent": 2.0 if quiet else 60.0,
        "quiet": quiet,
        "when": when,
    }


def test_the_limit_is_the_median_of_the_quiet_measurements() -> None:
    data = {"physical": [run(1, 2.2), run(2, 4.0), run(2, 4.6), run(2, 1.0, quiet=False), run(2, 4.2)]}
    one, many = physical(data)
    assert one is not None and one["images_per_second"] == 2.2
    assert many is not None and many["images_per_second"] == pytest.approx(4.2)
    assert (many["measured"], many["left_out"], many["quiet"]) == (4, 1, True)
    lines = physical_lines(data)
    assert "4.20 images/s in 2 processes" in lines[0]
    assert "median of 4 measurements" in lines[1] and "1 measurement with other CPU use above 15%" in lines[1]


def test_a_limit_measured_only_on_a_busy_machine_says_so() -> None:
    data = {"physical": [run(1, 2.0, quiet=False), run(2, 3.0, quiet=False), run(2, 3.4, quiet=False)]}
    _, many = physical(data)
    assert many is not None and many["images_per_second"] == pytest.approx(3.2) and not many["quiet"]
    assert any("not a trustworthy limit" in line for line in physical_lines(data))


def test_results_from_before_interleaving_read_as_one_quiet_measurement() -> None:
    old = {k: v for k, v in run(2, 4.1).items() if k not in ("quiet", "when")}
    data = {"physical": [old | {"processes": 1, "images_per_second": 2.2}, old]}
    one, many = physical(data)
    assert one is not None and many is not None and many["images_per_second"] == 4.1
    assert len(physical_lines(data)) == 1


def test_no_measurement_no_limit() -> None:
    assert physical({"physical": []}) == (None, None)
    assert "was not measured" in physical_lines({})[0]
