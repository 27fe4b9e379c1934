"""Monitoring end to end: the real Prometheus of the session's mesh finds instances through Nacos,
records what the page's charts draw, and fires InstanceDown for a killed OCR node."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh_tools.monitoring.prometheus import SCRAPE_SECONDS
from tests.e2e.browser import log_in, open_app, screenshot
from tests.e2e.conftest import TARGETS_GRACE_SECONDS, RunningMesh
from tests.support import render_lines

pytestmark = pytest.mark.e2e

CARD = render_lines(["OCR Mesh 监控", "Prometheus 2026"], size=40)


def prometheus(mesh: RunningMesh) -> str:
    url = mesh.launcher.prometheus_url()
    assert url, "the session's mesh was started with monitoring"
    return url


def targets(mesh: RunningMesh) -> dict[str, dict[str, Any]]:
    """Prometheus' active targets of the mesh job, by instance address."""
    answer = httpx.get(f"{prometheus(mesh)}/api/v1/targets", params={"state": "active"}, trust_env=False)
    found = answer.json()["data"]["activeTargets"]
    return {t["labels"]["instance"]: t for t in found if t["labels"].get("job") == "ocr-mesh"}


def wait_until(what: str, check: Callable[[], bool], timeout: float, every: float = 0.1) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic() - started


def firing(mesh: RunningMesh, alert: str, instance: str) -> dict[str, str] | None:
    """The labels of that alert while it fires for that instance."""
    answer = httpx.get(f"{prometheus(mesh)}/api/v1/alerts", trust_env=False).json()
    for a in answer["data"]["alerts"]:
        labels: dict[str, str] = a["labels"]
        if labels.get("alertname") == alert and labels.get("instance") == instance and a["state"] == "firing":
            return labels
    return None


def test_every_instance_of_every_service_is_a_target_with_its_nacos_labels(mesh: RunningMesh) -> None:
    listed = {
        f"{h['ip']}:{h['port']}": service
        for service in (GATEWAY, USER_SERVICE, OCR_SERVICE)
        for h in mesh.nacos_instances(service)
    }
    assert len(listed) == 4  # 1 gateway, 1 user-service, 2 OCR nodes

    def all_up() -> bool:  # labelled listed again too: a test before may have stopped Nacos
        found = targets(mesh)
        return all(
            a in found and found[a]["health"] == "up" and found[a]["labels"]["nacos"] == "listed"
            for a in listed
        )

    wait_until("every Nacos instance scraped and labelled listed", all_up, 30)
    found = targets(mesh)
    for address, service in listed.items():
        assert found[address]["labels"]["service"] == service
        assert found[address]["labels"]["nacos"] == "listed"


def test_a_new_node_is_a_target_within_a_scrape_interval_and_a_killed_one_fires_instance_down(
    mesh: RunningMesh,
) -> None:
    launcher = mesh.launcher
    node = launcher.start_service(OCR_SERVICE)
    address = f"127.0.0.1:{node.port}"
    try:
        launcher.wait_ready([node])
        registered = time.monotonic()  # wait_ready returns once Nacos lists it
        wait_until(
            "the new node in Prometheus' targets", lambda: address in targets(mesh), 2 * SCRAPE_SECONDS
        )
        took = time.monotonic() - registered
        print(f"\nNacos listed -> Prometheus target: {took:.1f} s (scrape interval {SCRAPE_SECONDS:g} s)")
        assert took <= SCRAPE_SECONDS
        wait_until(
            "the new node scraped", lambda: targets(mesh)[address]["health"] == "up", 3 * SCRAPE_SECONDS
        )

        os.kill(node.pid, signal.SIGKILL)
        killed = time.monotonic()
        # InstanceDown: the first failed scrape (within 10 s), then `for: 15s`, evaluated every 5 s.
        wait_until(
            "InstanceDown firing for the killed node",
            lambda: firing(mesh, "InstanceDown", address) is not None,
            40,
            0.5,
        )
        print(f"killed -> InstanceDown firing: {time.monotonic() - killed:.1f} s (rule: for 15 s)")
        labels = firing(mesh, "InstanceDown", address)
        assert labels is not None and labels["nacos"] == "gone" and labels["service"] == OCR_SERVICE

        wait_until(
            "the killed node dropped from the targets",
            lambda: address not in targets(mesh),
            TARGETS_GRACE_SECONDS + 2 * SCRAPE_SECONDS,
            0.5,
        )
    finally:
        launcher.stop_service(node)


def _load(mesh: RunningMesh, token: str, seconds: float, workers: int = 4) -> list[int]:
    """Closed-loop OCR requests for `seconds`; the status codes seen."""
    codes: list[int] = []
    stop = time.monotonic() + seconds

    def worker() -> None:
        headers = {"Authorization": f"Bearer {token}", "Cache-Control": "no-store"}
        with httpx.Client(base_url=mesh.gateway, headers=headers, trust_env=False, timeout=60) as c:
            while time.monotonic() < stop:
                r = c.post("/api/ocr", files={"image": ("card.png", CARD, "image/png")})
                codes.append(r.status_code)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def test_under_load_the_charts_have_a_series_per_node(mesh: RunningMesh, token: str) -> None:
    codes = _load(mesh, token, 25)
    assert codes and set(codes) == {200}
    nodes = {f"{h['ip']}:{h['port']}" for h in mesh.nacos_instances(OCR_SERVICE)}
    auth = {"Authorization": f"Bearer {token}"}

    def charts() -> dict[str, dict[str, Any]]:
        r = httpx.get(
            f"{mesh.gateway}/api/monitoring/charts", params={"window": "5m"}, headers=auth, trust_env=False
        )
        assert r.status_code == 200, r.text
        return {c["id"]: c for c in r.json()["charts"]}

    def drawn() -> bool:
        found = charts()
        served = {s["instance"] for s in found["throughput"]["series"] if any(v for _, v in s["points"] if v)}
        return nodes <= served

    wait_until("throughput series for every node", drawn, 3 * SCRAPE_SECONDS, 1)
    found = charts()
    for chart in ("latency_p50", "latency_p95", "in_flight", "cpu", "errors"):
        assert nodes <= {s["instance"] for s in found[chart]["series"]}, chart
    p95 = [v for s in found["latency_p95"]["series"] for _, v in s["points"] if v]
    cpu = [v for s in found["cpu"]["series"] for _, v in s["points"] if v]
    assert p95 and all(0 < v < 30 for v in p95)
    assert cpu and max(cpu) > 0.1  # an OCR node under load uses a good part of a core
    errors = [v for s in found["errors"]["series"] for _, v in s["points"] if v]
    assert not errors  # every request of the load succeeded

    alerts = httpx.get(f"{mesh.gateway}/api/monitoring/alerts", headers=auth, trust_env=False)
    assert alerts.status_code == 200 and isinstance(alerts.json()["alerts"], list)


def test_the_monitoring_routes_refuse_bad_input_in_the_shared_error_shape(
    mesh: RunningMesh, token: str
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    r = httpx.get(
        f"{mesh.gateway}/api/monitoring/charts", params={"window": "10y"}, headers=auth, trust_env=False
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"
    r = httpx.get(f"{mesh.gateway}/api/monitoring/charts", trust_env=False)
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_token"
    r = httpx.get(
        f"{mesh.gateway}/api/monitoring/charts",
        params={"window": "5m", "query": "up"},
        headers=auth,
        trust_env=False,
    )
    assert r.status_code == 200  # a PromQL of the caller's own is ignored: only named charts exist
    assert {c["id"] for c in r.json()["charts"]} == {
        "throughput",
        "latency_p50",
        "latency_p95",
        "errors",
        "in_flight",
        "cpu",
    }


def test_the_page_draws_the_charts_with_a_line_per_node_and_the_alerts(
    page: Page, mesh: RunningMesh, account: tuple[str, str], token: str
) -> None:
    _load(mesh, token, 12)  # fresh data in the window, whatever ran before
    nodes = sorted(f"{h['ip']}:{h['port']}" for h in mesh.nacos_instances(OCR_SERVICE))
    open_app(page)
    log_in(page, *account)
    card = page.locator("#monitor-card")
    card.scroll_into_view_if_needed()
    page.select_option("#monitor-window", "5m")
    # Every live node has its line; a node killed earlier in the window (the test above) may too.
    throughput = page.locator('#monitor-charts figure[data-chart="throughput"] path.chart-line')
    for node in nodes:
        expect(
            page.locator(f'#monitor-charts figure[data-chart="throughput"] path[data-instance="{node}"]')
        ).to_have_count(1, timeout=30_000)
        expect(page.locator("#monitor-legend")).to_contain_text(node)
    assert throughput.count() >= len(nodes)
    expect(page.locator("#monitor-charts figure.chart")).to_have_count(6)
    for chart in ("latency_p95", "in_flight", "cpu"):
        expect(
            page.locator(f'#monitor-charts figure[data-chart="{chart}"] path.chart-line')
        ).not_to_have_count(0)
    expect(page.locator("#monitor-off")).to_be_hidden()
    expect(page.locator("#monitor-alerts li")).not_to_have_count(0)  # an alert, or "no alert" said
    expect(page.locator("#monitor-updated-text")).to_contain_text("更新于")
    screenshot(page, "monitoring-zh")
