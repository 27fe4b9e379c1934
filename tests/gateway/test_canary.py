"""Canary releases and version hints: the live split sends its share of OCR requests to the
canary's version, a hint header picks a version, and neither costs a failed request."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from gateway.balancer import Endpoint
from gateway.canary import avoid_for
from gateway.live import GatewayLive
from gateway.state import Gateway
from mesh.instances import ServiceInstance
from mesh.names import OCR_SERVICE
from tests.documents.rig import auth, gateway_rig, png

pytestmark = pytest.mark.timeout(120)

LIVE = GatewayLive.model_validate(
    {
        "rate_per_user": 0,
        "burst_per_user": 1,
        "rate_per_client": 0,
        "burst_per_client": 1,
        "ocr_strategy": "round_robin",
        "user_strategy": "round_robin",
        "eject_after_failures": 2,
        "eject_seconds": 10,
    }
)


def endpoints(*versions: str) -> list[Endpoint]:
    return [
        Endpoint(ServiceInstance(OCR_SERVICE, "127.0.0.1", 9000 + i, metadata={"version": v}))
        for i, v in enumerate(versions)
    ]


def test_the_split_and_the_hint_choose_what_the_first_attempt_avoids() -> None:
    eps = endpoints("1", "1", "2")
    canary = LIVE.model_copy(update={"canary_version": "2", "canary_percent": 10})
    assert avoid_for(eps, LIVE, None, 0.05) == frozenset()  # no canary configured
    assert avoid_for(eps, canary, None, 0.05) == {"127.0.0.1:9000", "127.0.0.1:9001"}  # the 10 %
    assert avoid_for(eps, canary, None, 0.5) == {"127.0.0.1:9002"}  # the other 90 %
    assert avoid_for(eps, canary, "1", 0.05) == {"127.0.0.1:9002"}  # a hint beats the split
    assert avoid_for(eps, canary, "9", 0.05) == frozenset()  # a hint nobody matches: anyone
    assert avoid_for(endpoints("2", "2"), canary, None, 0.5) == frozenset()  # only canaries left
    assert avoid_for(endpoints("1", "1"), canary, None, 0.05) == frozenset()  # no canary running


async def versioned(gateway: Gateway, versions: list[str]) -> list[str]:
    """Give the rig's fake nodes these versions, as Nacos metadata would; their addresses."""
    nodes = [e.instance for e in gateway.ocr.endpoints()]
    gateway.ocr.update(
        [
            dataclasses.replace(n, metadata={**n.metadata, "version": v})
            for n, v in zip(nodes, versions, strict=True)
        ]
    )
    return [n.address for n in nodes]


async def test_a_ten_percent_canary_gets_ten_percent_of_a_thousand_requests(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path, nodes=3, result_cache_mb=0) as (client, gateway, _):
        stable_a, stable_b, canary = await versioned(gateway, ["1.0", "1.0", "2.0"])
        gateway.apply_live(gateway.live.model_copy(update={"canary_version": "2.0", "canary_percent": 10}))
        gateway._draws.seed(2026)  # a fixed coin: the share is then the same on every run
        files = {"image": ("a.png", png(40), "image/png")}
        served: list[str] = []
        for _ in range(20):  # 1,000 requests, 50 at a time
            batch = [client.post("/api/ocr", files=files, headers=auth("ann")) for _ in range(50)]
            served += [r.headers["X-Served-By"] for r in await asyncio.gather(*batch)]
        share = served.count(canary) / len(served)
        print(f"[canary] 10 % configured: {share:.1%} of 1,000 requests went to the canary")
        assert 0.07 <= share <= 0.13, share
        assert {stable_a, stable_b} <= set(served)

        listed = (await client.get("/api/instances", headers=auth("ann"))).json()["services"][OCR_SERVICE]
        assert {f"{i['host']}:{i['port']}": i["canary"] for i in listed} == {
            stable_a: False,
            stable_b: False,
            canary: True,
        }

        hinted = {**auth("ann"), "X-Mesh-Version": "2.0"}
        for _ in range(20):
            r = await client.post("/api/ocr", files=files, headers=hinted)
            assert r.status_code == 200 and r.headers["X-Served-By"] == canary


async def test_a_dead_canary_costs_no_request(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path, nodes=2, result_cache_mb=0) as (client, gateway, fakes):
        _, canary = await versioned(gateway, ["1.0", "2.0"])
        gateway.apply_live(gateway.live.model_copy(update={"canary_version": "2.0", "canary_percent": 50}))
        fakes.dying.add(int(canary.rsplit(":", 1)[1]))
        files = {"image": ("a.png", png(40), "image/png")}
        hinted = {**auth("ann"), "X-Mesh-Version": "2.0"}
        statuses = [
            (await client.post("/api/ocr", files=files, headers=hinted)).status_code for _ in range(10)
        ]
        assert statuses == [200] * 10  # retried on the stable node, then the canary is ejected
