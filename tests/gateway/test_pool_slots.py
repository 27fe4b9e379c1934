"""The pool's slot waits and ejection edges: who waits, who gives up, who is tried last."""

from __future__ import annotations

import asyncio

import pytest

from gateway.balancer import Pool
from mesh.errors import ServiceUnavailable
from mesh.instances import ServiceInstance


def _instances(n: int) -> list[ServiceInstance]:
    return [ServiceInstance("s", "127.0.0.1", 9000 + i) for i in range(n)]


def _pool(n: int, **options: int) -> Pool:
    pool = Pool("s", "round_robin", **options)
    pool.update(_instances(n))
    return pool


async def _started(task: asyncio.Task[object]) -> None:
    await asyncio.sleep(0.01)
    assert not task.done()


async def test_waiters_past_the_bound_are_refused_at_once() -> None:
    pool = _pool(1, max_in_flight=1, max_waiters=1)
    held = await pool.acquire(set(), wait=1)
    assert held is not None
    waiter = asyncio.create_task(pool.acquire(set(), wait=5))
    await _started(waiter)
    with pytest.raises(ServiceUnavailable) as caught:
        await pool.acquire(set(), wait=5)  # would be the second waiter
    assert caught.value.code == "overloaded"
    await pool.release(held)
    assert await waiter is held


async def test_a_waiter_gets_none_when_its_instance_leaves_the_pool() -> None:
    pool = _pool(1, max_in_flight=1)
    held = await pool.acquire(set(), wait=1)
    assert held is not None
    waiter = asyncio.create_task(pool.acquire(set(), wait=5))
    await _started(waiter)
    pool.update([])
    await pool.release(held)
    assert await asyncio.wait_for(waiter, 1) is None


async def test_a_waiter_takes_the_slot_another_instance_frees() -> None:
    pool = _pool(2, max_in_flight=1)
    a, b = await pool.acquire(set(), wait=1), await pool.acquire(set(), wait=1)
    assert a is not None and b is not None and a is not b
    waiter = asyncio.create_task(pool.acquire(set(), wait=5))
    await _started(waiter)
    await pool.release(b)
    assert await asyncio.wait_for(waiter, 1) is b


def test_an_ejected_instance_is_still_tried_when_nothing_else_is_left() -> None:
    pool = _pool(2, eject_after=1)
    first, second = pool.endpoints()
    assert pool.failed(first)
    assert pool.choose() is second
    assert pool.choose(exclude={second.address}) is first


def test_a_success_ends_the_ejection_and_the_failure_streak() -> None:
    pool = _pool(1, eject_after=2)
    endpoint = pool.endpoints()[0]
    assert not pool.failed(endpoint) and pool.failed(endpoint)
    assert pool.snapshot()[0]["ejected"]
    pool.succeeded(endpoint)
    assert not pool.snapshot()[0]["ejected"] and endpoint.consecutive_failures == 0
    assert not pool.failed(endpoint)  # the streak starts again from zero


def test_an_unknown_strategy_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="least_in_flight"):
        Pool("s", "fastest")
