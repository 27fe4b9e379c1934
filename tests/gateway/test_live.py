"""The gateway's live settings applied in process: rate limits, balancing and ejection, and the
maintenance switch, through the real app and its routes (the Nacos side is tests/e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from gateway.live import GatewayLive
from gateway.state import Gateway
from mesh.live_config import LiveConfig, LiveConfigMetrics
from mesh.names import GATEWAY, NACOS_GROUP
from tests.documents.rig import auth, gateway_rig

pytestmark = pytest.mark.timeout(60)


def live_of(gateway: Gateway) -> LiveConfig[GatewayLive]:
    """Wired as gateway/main.py wires it."""
    metrics = LiveConfigMetrics(CollectorRegistry())
    return LiveConfig(GATEWAY, NACOS_GROUP, GatewayLive, gateway.live, gateway.apply_live, metrics)


async def test_a_new_rate_limit_takes_effect_on_the_next_request(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path) as (client, gateway, _):
        live = live_of(gateway)
        statuses = [(await client.get("/api/instances", headers=auth("ann"))).status_code for _ in range(5)]
        assert statuses == [200] * 5  # the rig starts with the per-user limit off
        assert live.apply_text("rate_per_user: 0.5\nburst_per_user: 2\n")
        statuses = [(await client.get("/api/instances", headers=auth("ann"))).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert not live.apply_text("rate_per_user: lots\n")  # refused: the limit in force stays
        assert (await client.get("/api/instances", headers=auth("ann"))).status_code == 429
        assert live.apply_text("rate_per_user: 0\n")
        assert (await client.get("/api/instances", headers=auth("ann"))).status_code == 200


async def test_balancing_and_ejection_are_retuned(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path) as (_, gateway, _):
        live = live_of(gateway)
        assert live.apply_text("ocr_strategy: round_robin\neject_after_failures: 1\neject_seconds: 5\n")
        assert gateway.ocr.strategy == "round_robin" and gateway.users.strategy != "weighted_random"
        bad = gateway.ocr.endpoints()[0]
        assert gateway.ocr.failed(bad)  # one failure now ejects
        assert not live.apply_text("ocr_strategy: fastest\n")
        assert gateway.ocr.strategy == "round_robin"


async def test_the_maintenance_switch_answers_503_with_its_message_and_retry_after(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path) as (client, gateway, _):
        live = live_of(gateway)
        on = "maintenance: true\nmaintenance_message: Back at 14:00\nmaintenance_retry_after: 120\n"
        assert live.apply_text(on)
        for method, path in (("GET", "/api/instances"), ("GET", "/api/jobs"), ("POST", "/api/auth/login")):
            r = await client.request(method, path, headers=auth("ann"))
            assert r.status_code == 503 and r.headers["Retry-After"] == "120", (path, r.text)
            assert r.json() == {"error": {"code": "maintenance", "message": "Back at 14:00"}}
        assert (await client.get("/health")).status_code == 200
        assert live.apply_text("maintenance: false\n")
        assert (await client.get("/api/instances", headers=auth("ann"))).status_code == 200
