"""Per-request records and the per-cell summary: throughput, percentiles, failures, shares."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

PERCENTILES = (50, 90, 95, 99)


@dataclass(frozen=True)
class Request:
    """One request as the client saw it; times in seconds from the cell's start."""

    kind: str  # "ocr" or "login"
    start: float
    latency: float
    status: int  # 0: no HTTP answer (client-side error or not sent)
    code: str  # "" on success, else the error shape's code or a client-side cause
    instance: str  # X-Served-By, "" when none

    @property
    def end(self) -> float:
        return self.start + self.latency

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolation percentile (numpy's default method); nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def failure_cause(r: Request) -> str:
    """'status/code' for a failed request, e.g. '503/overloaded' or '0/client_timeout'."""
    return f"{r.status}/{r.code or 'none'}"


@dataclass
class Summary:
    """What one cell measured (see `cell_figures` for which requests count)."""

    requests: int
    successes: int
    failures: int
    failure_rate: float
    duration: float
    throughput: float  # successful requests per second
    mean: float
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    failures_by_cause: dict[str, int] = field(default_factory=dict)
    share_by_instance: dict[str, float] = field(default_factory=dict)
    node_rate: float = math.nan  # per instance between its first and last completion, summed


def summarize(requests: Sequence[Request], duration: float) -> Summary:
    """Latencies (seconds) of successful requests; failures by cause; shares of successes."""
    ok = [r for r in requests if r.ok]
    lat = [r.latency for r in ok]
    failed = [r for r in requests if not r.ok]
    served = Counter(r.instance for r in ok if r.instance)
    total_served = sum(served.values())
    pct = {p: percentile(lat, p) for p in PERCENTILES}
    return Summary(
        requests=len(requests),
        successes=len(ok),
        failures=len(failed),
        failure_rate=len(failed) / len(requests) if requests else 0.0,
        duration=duration,
        throughput=len(ok) / duration if duration > 0 else 0.0,
        mean=sum(lat) / len(lat) if lat else math.nan,
        p50=pct[50],
        p90=pct[90],
        p95=pct[95],
        p99=pct[99],
        max=max(lat) if lat else math.nan,
        failures_by_cause=dict(Counter(failure_cause(r) for r in failed).most_common()),
        share_by_instance={k: v / total_served for k, v in sorted(served.items())},
    )


def in_window(requests: Sequence[Request], start: float, end: float) -> list[Request]:
    """Requests that completed inside [start, end): the closed-window way to count throughput."""
    return [r for r in requests if start <= r.end < end]


def started_in(requests: Sequence[Request], start: float, end: float) -> list[Request]:
    """Requests that started inside [start, end); the sweep waits for every one of them to end."""
    return [r for r in requests if start <= r.start < end]


def cell_figures(requests: Sequence[Request], start: float, end: float) -> Summary:
    """A cell's figures: latency, failures and shares over the requests that *started* in the
    window (counting those that completed in it would drop the slowest under heavy queueing),
    throughput = successful requests *completed* in the window / its length."""
    duration = end - start
    summary = summarize(started_in(requests, start, end), duration)
    done = [r for r in in_window(requests, start, end) if r.ok]
    summary.throughput = len(done) / duration if duration > 0 else 0.0
    summary.node_rate = node_rate(done)
    return summary


def node_rate(done: Sequence[Request]) -> float:
    """Successes per second, each instance's (completions - 1) / (its last - its first
    completion), summed: for slow images a window's count moves by a whole image (24 or 25
    pages in 60 s is 4 %), the spans do not; nan when no instance finished twice."""
    ends: dict[str, list[float]] = {}
    for r in done:
        ends.setdefault(r.instance, []).append(r.end)
    spans = [(len(e) - 1, max(e) - min(e)) for e in ends.values() if len(e) > 1 and max(e) > min(e)]
    return sum(n / span for n, span in spans) if spans else math.nan
