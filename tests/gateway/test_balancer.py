"""Each strategy's distribution matches its definition; ejection backs off and probes back in."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from gateway.balancer import Pool
from mesh.registry import ServiceInstance


def _instances(*weights: float) -> list[ServiceInstance]:
    return [ServiceInstance("ocr-service", "127.0.0.1", 9000 + i, weight=w) for i, w in enumerate(weights)]


def _pick(pool: Pool, n: int) -> Counter[int]:
    counts: Counter[int] = Counter()
    for _ in range(n):
        endpoint = pool.choose()
        assert endpoint is not None
        counts[endpoint.instance.port] += 1
    return counts


def test_round_robin_is_exactly_even() -> None:
    pool = Pool("s", "round_robin")
    pool.update(_instances(1, 2, 3))
    assert set(_pick(pool, 300).values()) == {100}


def test_weighted_random_follows_weights() -> None:
    pool = Pool("s", "weighted_random", rng=random.Random(7))
    pool.update(_instances(1, 2, 3))
    counts = _pick(pool, 60_000)
    for port, weight in ((9000, 1), (9001, 2), (9002, 3)):
        assert counts[port] / 60_000 == pytest.approx(weight / 6, abs=0.01)


def test_least_in_flight_avoids_the_busy_instance() -> None:
    pool = Pool("s", "least_in_flight", rng=random.Random(1))
    pool.update(_instances(1, 1, 1))
    busy = pool.endpoints()[0]
    busy.in_flight = 5
    counts = _pick(pool, 3000)
    assert counts[busy.instance.port] == 0
    assert counts[9001] + counts[9002] == 3000


def test_unhealthy_disabled_and_zero_weight_get_no_traffic() -> None:
    pool = Pool("s", "round_robin")
    pool.update(
        [
            ServiceInstance("s", "h", 1, healthy=False),
            ServiceInstance("s", "h", 2, enabled=False),
            ServiceInstance("s", "h", 3, weight=0),
            ServiceInstance("s", "h", 4),
        ]
    )
    assert set(_pick(pool, 10)) == {4}


def test_ejection_backs_off_then_probes_back_in() -> None:
    now = [0.0]
    pool = Pool("s", "round_robin", eject_after=2, eject_seconds=10, clock=lambda: now[0])
    pool.update(_instances(1, 1))
    bad = pool.endpoints()[0]
    pool.failed(bad)
    pool.failed(bad)
    assert set(_pick(pool, 10)) == {9001}
    now[0] = 10.5
    assert 9000 in set(_pick(pool, 10))


def test_exclude_moves_a_retry_to_a_different_instance() -> None:
    pool = Pool("s", "least_in_flight")
    pool.update(_instances(1, 1))
    first = pool.choose()
    assert first is not None
    second = pool.choose(exclude={first.address})
    assert second is not None and second.address != first.address
    assert pool.choose(exclude={first.address, second.address}) is None


def test_update_keeps_stats_of_instances_that_stay() -> None:
    pool = Pool("s", "round_robin")
    pool.update(_instances(1, 1))
    pool.succeeded(pool.endpoints()[0])
    pool.update(_instances(1, 1, 1))
    assert [e.served for e in pool.endpoints()] == [1, 0, 0]
