"""Percentiles and the per-cell summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from loadtest.stats import Request, in_window, node_rate, percentile, summarize


@pytest.mark.parametrize("p", [0, 1, 25, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy(p: float) -> None:
    values = [0.3, 0.1, 2.5, 0.7, 0.7, 1.9, 0.05, 3.3, 0.9]
    assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)))


def test_percentile_edges() -> None:
    assert math.isnan(percentile([], 50))
    assert percentile([4.0], 99) == 4.0
    assert percentile([1.0, 2.0], 50) == 1.5


def _r(start: float, latency: float, status: int = 200, code: str = "", inst: str = "") -> Request:
    return Request("ocr", start, latency, status, code, inst)


def test_summary_counts_failures_shares_and_throughput() -> None:
    reqs = [
        _r(0.0, 1.0, inst="127.0.0.1:8101"),
        _r(0.5, 1.0, inst="127.0.0.1:8102"),
        _r(1.0, 2.0, inst="127.0.0.1:8101"),
        _r(1.0, 0.1, 503, "no_healthy_instance"),
        _r(1.5, 0.1, 503, "no_healthy_instance"),
        _r(2.0, 30.0, 0, "client_timeout"),
    ]
    s = summarize(reqs, duration=4.0)
    assert (s.requests, s.successes, s.failures) == (6, 3, 3)
    assert s.failure_rate == pytest.approx(0.5)
    assert s.throughput == pytest.approx(3 / 4.0)
    assert s.failures_by_cause == {"503/no_healthy_instance": 2, "0/client_timeout": 1}
    assert s.share_by_instance == pytest.approx({"127.0.0.1:8101": 2 / 3, "127.0.0.1:8102": 1 / 3})
    assert s.mean == pytest.approx(4.0 / 3)
    assert s.p50 <= s.p90 <= s.p95 <= s.p99 <= s.max == 2.0


def test_summary_of_nothing() -> None:
    s = summarize([], duration=5.0)
    assert s.requests == 0 and s.failure_rate == 0.0 and s.throughput == 0.0
    assert math.isnan(s.p50) and s.share_by_instance == {}


def test_window_counts_completions_inside_it() -> None:
    reqs = [_r(0.0, 1.0), _r(0.5, 4.0), _r(3.0, 2.0), _r(9.0, 2.0)]
    kept = in_window(reqs, 2.0, 10.0)
    assert [r.start for r in kept] == [0.5, 3.0]


def test_cell_figures_keep_the_slow_requests_that_end_after_the_window() -> None:
    """Latency counts requests that started in the window, so heavy queueing is not hidden."""
    from loadtest.stats import cell_figures

    reqs = [
        Request("ocr", 1.0, 2.0, 200, "", "a"),  # started before the window: not counted
        Request("ocr", 3.0, 1.0, 200, "", "a"),  # in the window, ends inside
        Request("ocr", 8.0, 30.0, 200, "", "b"),  # in the window, ends long after: counted
    ]
    figures = cell_figures(reqs, 2.0, 10.0)
    assert figures.requests == 2 and figures.max == 30.0
    assert figures.throughput == 2 / 8.0  # completions inside the window: the first two


def test_node_rate_is_each_instances_span_summed() -> None:
    # Two nodes finishing a page every 5 s, out of step: 25 pages would be 24 or 25 in a 60 s window.
    done = [Request("ocr", 0.0, t, 200, "", "a") for t in (1.0, 6.0, 11.0, 16.0)]
    done += [Request("ocr", 0.0, t, 200, "", "b") for t in (4.0, 9.0, 14.0)]
    assert node_rate(done) == pytest.approx(3 / 15 + 2 / 10)  # 0.2 + 0.2: exact, whatever the phase
    assert math.isnan(node_rate([Request("ocr", 0.0, 1.0, 200, "", "a")]))  # no node finished twice
