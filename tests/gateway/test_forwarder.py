"""The forwarder in process against real loopback upstreams: every retry branch, the deadlines,
503 handling, ejection and slot waits, in milliseconds (no Nacos, no model)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from gateway.balancer import Pool
from gateway.metrics import GatewayMetrics
from gateway.proxy import Forwarder, Route, Upstream
from mesh.errors import ServiceUnavailable, UpstreamTimeout
from mesh.instances import ServiceInstance
from mesh.names import OCR_SERVICE
from tests.gateway.upstreams import Upstreams, echo_of

pytestmark = pytest.mark.timeout(30)  # a broken deadline would otherwise hang until the global timeout

# Loose enough for a loaded machine; only a `slow` upstream ever waits it out.
FAST = Route(timeout=5.0, attempt_timeout=0.5, max_attempts=3, slot_wait=1.0)
LABEL = {"service": OCR_SERVICE}


class Rig:
    """A forwarder on one pooled client, with the registry its metrics count in."""

    def __init__(self, client: aiohttp.ClientSession) -> None:
        self.registry = CollectorRegistry()
        self.forwarder = Forwarder(client, GatewayMetrics(self.registry))

    def pool(self, instances: list[ServiceInstance], **options: int) -> Pool:
        pool = Pool(OCR_SERVICE, "round_robin", **options)  # round robin: the list's order is the try order
        pool.update(instances)
        return pool

    async def send(self, pool: Pool, route: Route = FAST, body: bytes = b"") -> Upstream:
        headers = [("Content-Type", "text/plain"), ("X-Request-ID", "req-1"), ("Connection", "close")]
        return await self.forwarder.send(pool, route, "POST", "/ocr?x=1", headers, body)

    def count(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, {**LABEL, **labels}) or 0.0

    def outcome(self, instance: ServiceInstance, outcome: str) -> float:
        return self.count("gateway_upstream_requests_total", instance=instance.address, outcome=outcome)


@pytest.fixture
async def upstreams() -> AsyncIterator[Upstreams]:
    farm = Upstreams()
    yield farm
    await farm.close()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with aiohttp.ClientSession(auto_decompress=False) as client:
        yield Rig(client)


async def test_an_answer_passes_on_with_method_path_body_and_end_to_end_headers(
    upstreams: Upstreams, rig: Rig
) -> None:
    ok = await upstreams.start("ok")
    pool = rig.pool([ok])
    up = await rig.send(pool, body=b"image bytes")
    echo = echo_of(up.content)
    assert (up.status, up.served_by) == (200, ok.address)
    assert (echo["method"], echo["path"], echo["body"]) == ("POST", "/ocr?x=1", "image bytes")
    sent = echo["headers"]
    assert isinstance(sent, dict) and sent["X-Request-ID"] == "req-1"
    assert ("X-Upstream", str(ok.port)) in up.headers
    assert rig.outcome(ok, "200") == 1 and rig.count("gateway_retries_total") == 0
    assert [(e.served, e.in_flight) for e in pool.endpoints()] == [(1, 0)]


@pytest.mark.parametrize("failure", ["refused", "drop", "slow"])
async def test_a_failed_attempt_is_retried_on_another_instance(
    failure: str, upstreams: Upstreams, rig: Rig
) -> None:
    bad, ok = await upstreams.start(failure), await upstreams.start("ok")
    pool = rig.pool([bad, ok])
    up = await rig.send(pool)
    assert up.status == 200 and up.served_by == ok.address
    assert rig.outcome(bad, {"refused": "unreachable", "drop": "error", "slow": "timeout"}[failure]) == 1
    assert rig.count("gateway_retries_total") == 1
    failed, served = pool.endpoints()
    assert (failed.failures, failed.in_flight, served.served) == (1, 0, 1)


async def test_a_busy_503_moves_on_without_counting_a_failure(upstreams: Upstreams, rig: Rig) -> None:
    busy, ok = await upstreams.start("busy"), await upstreams.start("ok")
    pool = rig.pool([busy, ok], eject_after=1)
    assert (await rig.send(pool)).served_by == ok.address
    assert rig.outcome(busy, "busy") == 1
    assert pool.endpoints()[0].failures == 0 and not pool.snapshot()[0]["ejected"]


async def test_every_instance_busy_is_a_503_that_says_overloaded(upstreams: Upstreams, rig: Rig) -> None:
    pool = rig.pool([await upstreams.start("busy"), await upstreams.start("busy")])
    with pytest.raises(ServiceUnavailable) as caught:
        await rig.send(pool)
    assert caught.value.code == "upstream_unavailable" and caught.value.retry_after
    assert "overloaded" in str(caught.value)
    assert sum(upstreams.hits.values()) == 2


async def test_a_500_is_an_answer_and_is_not_retried(upstreams: Upstreams, rig: Rig) -> None:
    error, ok = await upstreams.start("error"), await upstreams.start("ok")
    pool = rig.pool([error, ok])
    up = await rig.send(pool)
    assert (up.status, up.served_by) == (500, error.address)
    assert upstreams.hits[ok.port] == 0 and rig.count("gateway_retries_total") == 0


async def test_broken_instances_everywhere_give_503_upstream_unavailable(
    upstreams: Upstreams, rig: Rig
) -> None:
    pool = rig.pool([await upstreams.start("refused"), await upstreams.start("drop")])
    with pytest.raises(ServiceUnavailable) as caught:
        await rig.send(pool)
    assert caught.value.code == "upstream_unavailable"
    assert [(e.failures, e.in_flight) for e in pool.endpoints()] == [(1, 0), (1, 0)]


async def test_timeouts_everywhere_give_504(upstreams: Upstreams, rig: Rig) -> None:
    pool = rig.pool([await upstreams.start("slow"), await upstreams.start("slow")])
    with pytest.raises(UpstreamTimeout) as caught:
        await rig.send(pool, Route(timeout=5.0, attempt_timeout=0.05))
    assert "did not answer in time" in str(caught.value)
    assert [e.failures for e in pool.endpoints()] == [1, 1]
    assert all(rig.outcome(e.instance, "timeout") == 1 for e in pool.endpoints())


async def test_the_total_deadline_ends_the_retries(upstreams: Upstreams, rig: Rig) -> None:
    pool = rig.pool([await upstreams.start("slow") for _ in range(3)])
    with pytest.raises(UpstreamTimeout) as caught:
        await rig.send(pool, Route(timeout=0.1, attempt_timeout=5.0))
    assert "did not answer within" in str(caught.value)
    assert sum(e.failures for e in pool.endpoints()) == 1  # the first attempt used the whole deadline


async def test_max_attempts_bounds_the_instances_tried(upstreams: Upstreams, rig: Rig) -> None:
    refused = [await upstreams.start("refused") for _ in range(3)]
    ok = await upstreams.start("ok")
    pool = rig.pool([*refused, ok])
    with pytest.raises(ServiceUnavailable):
        await rig.send(pool, Route(timeout=5.0, attempt_timeout=0.5, max_attempts=2))
    assert sum(e.failures for e in pool.endpoints()) == 2 and upstreams.hits[ok.port] == 0


@pytest.mark.parametrize("instances", [[], [ServiceInstance(OCR_SERVICE, "127.0.0.1", 1, healthy=False)]])
async def test_no_usable_instance_is_503_no_instance(instances: list[ServiceInstance], rig: Rig) -> None:
    with pytest.raises(ServiceUnavailable) as caught:
        await rig.send(rig.pool(instances))
    assert caught.value.code == "no_instance" and caught.value.retry_after


async def test_repeated_failures_eject_the_instance_until_it_serves_again(
    upstreams: Upstreams, rig: Rig
) -> None:
    bad, ok = await upstreams.start("drop"), await upstreams.start("ok")
    pool = rig.pool([bad, ok], eject_after=2)
    for _ in range(2):
        assert (await rig.send(pool)).served_by == ok.address
    assert rig.count("gateway_ejections_total", instance=bad.address) == 1
    assert [s["ejected"] for s in pool.snapshot()] == [True, False]
    assert (await rig.send(pool)).served_by == ok.address
    assert rig.count("gateway_retries_total") == 2  # the third request went straight to `ok`


async def test_an_instance_nothing_listens_on_is_ejected_at_its_first_refusal(
    upstreams: Upstreams, rig: Rig
) -> None:
    """A refused or timed-out connect is no keep-alive race: the address has nothing behind it."""
    bad, ok = await upstreams.start("refused"), await upstreams.start("ok")
    pool = rig.pool([bad, ok], eject_after=3)
    assert (await rig.send(pool)).served_by == ok.address
    assert rig.outcome(bad, "unreachable") == 1
    assert rig.count("gateway_ejections_total", instance=bad.address) == 1
    assert [s["ejected"] for s in pool.snapshot()] == [True, False]


async def test_a_full_instance_makes_the_next_request_wait_for_its_slot(
    upstreams: Upstreams, rig: Rig
) -> None:
    pool = rig.pool([await upstreams.start("slow")], max_in_flight=1)
    route = Route(timeout=5.0, attempt_timeout=5.0, slot_wait=5.0)
    first = asyncio.create_task(rig.send(pool, route))
    second = asyncio.create_task(rig.send(pool, route))
    while sum(upstreams.hits.values()) < 1:
        await asyncio.sleep(0.005)
    assert pool.endpoints()[0].in_flight == 1 and not second.done()
    upstreams.release.set()
    assert [u.status for u in await asyncio.gather(first, second)] == [200, 200]
    assert pool.endpoints()[0].served == 2 and pool.endpoints()[0].in_flight == 0


async def test_a_slot_wait_that_runs_out_is_503_overloaded(upstreams: Upstreams, rig: Rig) -> None:
    pool = rig.pool([await upstreams.start("slow")], max_in_flight=1)
    holder = asyncio.create_task(rig.send(pool, Route(timeout=5.0, attempt_timeout=5.0)))
    while sum(upstreams.hits.values()) < 1:
        await asyncio.sleep(0.005)
    with pytest.raises(ServiceUnavailable) as caught:
        await rig.send(pool, Route(timeout=5.0, attempt_timeout=5.0, slot_wait=0.05))
    assert caught.value.code == "overloaded"
    upstreams.release.set()
    assert (await holder).status == 200
