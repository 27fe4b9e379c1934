"""Each strategy's distribution matches its definition; ejection backs off and probes back in."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from gateway.balancer import Pool
from mesh.instances import ServiceInstance
from mesh.names import OCR_SERVICE


def _instances(*weights: float) -> list[ServiceInstance]:
    return [ServiceInstance(OCR_SERVICE, "127.0.0.1", 9000 + i, weight=w) for i, w in enumerate(weights)]


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


async def test_least_in_flight_takes_turns_at_concurrency_1_even_after_a_join() -> None:
    """At concurrency 1 every in-flight count is 0: ties go to the instance picked longer ago,
    so requests alternate, and an instance that joins late gets its turn, not a flood."""

    async def one_at_a_time(pool: Pool, n: int) -> Counter[int]:
        counts: Counter[int] = Counter()
        for _ in range(n):
            endpoint = await pool.acquire(set(), 1.0)
            assert endpoint is not None
            counts[endpoint.instance.port] += 1
            pool.succeeded(endpoint)
            await pool.release(endpoint)
        return counts

    pool = Pool("s", "least_in_flight", rng=random.Random(3))
    pool.update(_instances(1))
    assert await one_at_a_time(pool, 50) == {9000: 50}
    pool.update(_instances(1, 1))  # a second instance joins after the first served 50
    assert await one_at_a_time(pool, 100) == {9000: 50, 9001: 50}


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


def test_one_ejection_is_reported_once_and_an_unreachable_instance_goes_at_once() -> None:
    """Failures of requests already under way extend the ejection without counting a new one."""
    now = [0.0]
    pool = Pool("s", "round_robin", eject_after=2, eject_seconds=10, clock=lambda: now[0])
    pool.update(_instances(1, 1))
    bad = pool.endpoints()[0]
    assert [pool.failed(bad), pool.failed(bad), pool.failed(bad)] == [False, True, False]
    now[0] = 10.5  # backed off: it may be tried again, and one refused connect ejects it anew
    assert pool.failed(bad, at_once=True) and set(_pick(pool, 10)) == {9001}
    assert bad.ejected_until == 20.5


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


async def test_in_flight_cap_waits_for_a_free_slot_then_gives_up_with_503() -> None:
    import asyncio

    from mesh.errors import ServiceUnavailable

    pool = Pool("s", "round_robin", max_in_flight=1)
    pool.update(_instances(1))
    first = await pool.acquire(set(), wait=1)
    assert first is not None
    waiter = asyncio.create_task(pool.acquire(set(), wait=5))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await pool.release(first)
    second = await asyncio.wait_for(waiter, 1)
    assert second is first and second.in_flight == 1
    with pytest.raises(ServiceUnavailable) as caught:
        await pool.acquire(set(), wait=0.05)
    assert caught.value.code == "overloaded" and caught.value.retry_after


async def test_acquire_returns_none_when_every_instance_was_tried() -> None:
    pool = Pool("s", "round_robin", max_in_flight=1)
    pool.update(_instances(1))
    assert await pool.acquire({"127.0.0.1:9000"}, wait=1) is None
