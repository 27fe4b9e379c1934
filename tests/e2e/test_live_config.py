"""Live settings through a real Nacos Config and the real gateway of the session mesh: a new
per-user rate limit takes effect within 2 s without a restart (seen in the 429s it produces), a
malformed entry is refused and the limit in force stays, deleting the entry brings the
environment's values back, and the maintenance switch answers 503 while it is on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import cv2
import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from mesh.live_config import data_id
from mesh.nacos_sdk import open_config, shut_down
from mesh.names import GATEWAY, NACOS_GROUP, OCR_SERVICE, USER_SERVICE
from mesh_tools.config_commands import history, set_values, show, unset
from tests.e2e.browser import PageWatch, log_in, open_app, unique_username
from tests.e2e.conftest import PASSWORD, RunningMesh
from tests.e2e.nacos_config import nacos_settings, publish_entry
from tests.support import render_lines

pytestmark = pytest.mark.e2e
T = TypeVar("T")
FRESH = {"Cache-Control": "no-store"}  # each request must reach a node, not the result cache


def write_entry(mesh: RunningMesh, content: str | None, service: str = GATEWAY) -> None:
    publish_entry(mesh.launcher, content, service)


@pytest.fixture
def client(mesh: RunningMesh) -> Iterator[httpx.Client]:
    name = unique_username("live")
    with httpx.Client(base_url=mesh.gateway, trust_env=False, timeout=30) as c:
        assert c.post("/api/auth/register", json={"username": name, "password": PASSWORD}).status_code == 201
        token = c.post("/api/auth/login", json={"username": name, "password": PASSWORD}).json()[
            "access_token"
        ]
        c.headers["Authorization"] = f"Bearer {token}"
        try:
            yield c
        finally:
            write_entry(mesh, None)


def updates_total(mesh: RunningMesh, outcome: str) -> float:
    """The gateway's count of Nacos Config entries it applied or refused."""
    text = httpx.get(f"{mesh.gateway}/metrics", trust_env=False).text
    start = f'live_config_updates_total{{outcome="{outcome}"}}'
    line = next((ln for ln in text.splitlines() if ln.startswith(start)), "")
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


def until(check: object, timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def test_a_rate_limit_set_in_nacos_config_applies_without_a_restart(
    mesh: RunningMesh, client: httpx.Client
) -> None:
    assert client.get("/api/instances").status_code == 200
    write_entry(mesh, "rate_per_user: 0.05\nburst_per_user: 2\n")  # a token every 20 s
    took = until(lambda: client.get("/api/instances").status_code == 429, 10, "a 429 from the new limit")
    print(f"[live-config] the new per-user limit answered 429 {took:.2f} s after the entry was published")
    assert took <= 2.0, took

    before = updates_total(mesh, "refused")
    write_entry(mesh, "rate_per_user: fast\n")
    until(lambda: updates_total(mesh, "refused") > before, 10, "the malformed entry refused")
    assert client.get("/api/instances").status_code == 429  # the last good limit stays in force

    write_entry(mesh, None)
    until(lambda: client.get("/api/instances").status_code == 200, 10, "the environment's limit back")


def test_the_maintenance_switch_turns_the_api_away_and_back(mesh: RunningMesh, client: httpx.Client) -> None:
    write_entry(mesh, "maintenance: true\nmaintenance_message: Upgrading the OCR models\n")
    until(lambda: client.get("/api/instances").status_code == 503, 10, "503 maintenance")
    r = client.get("/api/instances")
    assert r.json()["error"] == {"code": "maintenance", "message": "Upgrading the OCR models"}
    assert r.headers["Retry-After"] == "60"
    assert httpx.get(f"{mesh.gateway}/health", trust_env=False).status_code == 200
    write_entry(mesh, "maintenance: false\n")
    until(lambda: client.get("/api/instances").status_code == 200, 10, "the API back")


def test_the_mesh_view_marks_the_canary_version(
    mesh: RunningMesh, page: Page, account: tuple[str, str]
) -> None:
    """Both OCR nodes of the session mesh run version 0.1.0: made the canary version, both get the
    badge (the split itself: tests/gateway/test_canary.py, and end to end tests/e2e/test_gateway.py)."""
    write_entry(mesh, 'canary_version: "0.1.0"\ncanary_percent: 10\n')
    try:
        open_app(page)
        log_in(page, *account)
        ocr = page.locator(f'#status-view tr[data-testid="instance-row"][data-service="{OCR_SERVICE}"]')
        expect(ocr).to_have_count(2)
        for i in range(2):
            expect(ocr.nth(i)).to_contain_text("灰度")
        users = page.locator(f'#status-view tr[data-testid="instance-row"][data-service="{USER_SERVICE}"]')
        expect(users).not_to_contain_text("灰度")
    finally:
        write_entry(mesh, None)


def test_ocr_mesh_config_sets_shows_records_and_unsets_an_entry(
    mesh: RunningMesh, client: httpx.Client
) -> None:
    """The functions behind `ocr-mesh config set|show|history|unset`, against the real Nacos.

    Each runs in a thread of its own, as a command would in its own process: the module's
    Playwright browser keeps an event loop running in this thread, where asyncio.run cannot."""
    settings = nacos_settings(mesh.launcher)
    with ThreadPoolExecutor(1) as pool:

        def cli(command: Callable[..., T], *args: object) -> T:
            return pool.submit(command, settings, GATEWAY, *args).result()

        cli(set_values, ["rate_per_user=0.05", "burst_per_user=2"])
        until(
            lambda: client.get("/api/instances").status_code == 429, 10, "a 429 from the limit set by `set`"
        )
        assert "rate_per_user: 0.05" in cli(show)
        cli(set_values, ["maintenance_retry_after=30"])  # over the entry: the limit stays
        shown = cli(show)
        assert "burst_per_user: 2" in shown and "maintenance_retry_after: 30" in shown, shown
        changes = cli(history)
        assert changes and "updated" in changes[0], changes
        cli(unset)
        assert cli(show) == ""
    until(lambda: client.get("/api/instances").status_code == 200, 10, "the environment's limit back")


def test_the_ocr_nodes_follow_their_own_entry(mesh: RunningMesh, client: httpx.Client) -> None:
    """ocr-service.yaml turns QR scanning off on every OCR node, and deleting it turns it back on."""
    code = cv2.resize(cv2.QRCodeEncoder.create().encode("https://example.com/live"), None, fx=6, fy=6)
    canvas = np.full((420, 900), 255, dtype=np.uint8)
    canvas[40 : 40 + code.shape[0], 560 : 560 + code.shape[1]] = code
    ok, png = cv2.imencode(".png", canvas)
    assert ok

    def codes_on_both() -> set[int]:
        seen: dict[str, int] = {}
        while len(seen) < 2:  # one answer from each node (round robin, or least in flight)
            r = client.post(
                "/api/ocr", files={"image": ("qr.png", png.tobytes(), "image/png")}, headers=FRESH
            )
            assert r.status_code == 200, r.text
            seen[r.headers["X-Served-By"]] = len(r.json()["qr_codes"])
        return set(seen.values())

    assert codes_on_both() == {1}
    try:
        write_entry(mesh, "qr_codes: false\n", OCR_SERVICE)
        until(lambda: codes_on_both() == {0}, 10, "QR scanning off on both nodes")
    finally:
        write_entry(mesh, None, OCR_SERVICE)
    until(lambda: codes_on_both() == {1}, 10, "QR scanning back on both nodes")


def test_the_page_shows_the_maintenance_message(
    mesh: RunningMesh, watched: tuple[Page, PageWatch], account: tuple[str, str]
) -> None:
    """Logged in when the switch goes on: the mesh view's next poll shows the operator's words."""
    page, seen = watched
    open_app(page)
    log_in(page, *account)
    expect(page.get_by_test_id("status-view")).to_contain_text("127.0.0.1")
    write_entry(mesh, "maintenance: true\nmaintenance_message: Upgrading the OCR models until 14:00\n")
    try:
        expect(page.get_by_test_id("status-updated")).to_contain_text("Upgrading the OCR models until 14:00")
    finally:
        write_entry(mesh, None)
    expect(page.get_by_test_id("status-updated")).not_to_contain_text("Upgrading", timeout=15_000)
    # The 503s of the switch were expected (Chromium logs each as a console error); nothing else.
    assert all("status of 503" in c for c in seen.console), seen.console
    seen.console.clear()


def _ocr_view(client: httpx.Client) -> dict[str, dict[str, object]]:
    """The gateway's OCR instances by address."""
    listed = client.get("/api/instances").json()["services"][OCR_SERVICE]
    return {f"{i['host']}:{i['port']}": i for i in listed}


def _served_by(client: httpx.Client, n: int) -> set[str]:
    tiny = render_lines(["weight"], size=28)
    answers = [
        client.post("/api/ocr", files={"image": ("w.png", tiny, "image/png")}, headers=FRESH)
        for _ in range(n)
    ]
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers if r.status_code != 200]
    return {r.headers["X-Served-By"] for r in answers}


def _out(client: httpx.Client, address: str, key: str, value: object) -> bool:
    """The gateway lists the node with that value, or (a disabled node Nacos no longer pushes) not at all."""
    view = _ocr_view(client)
    return address not in view or view[address][key] == value


def test_a_listening_config_client_closes_without_waiting_out_its_poll(mesh: RunningMesh) -> None:
    """nacos-sdk-python's config loop looks at its stop flag between 5 s waits on its queue;
    `shut_down` wakes it (every service with live settings took 3-5 s to stop)."""

    async def listen_then_close() -> float:
        client = await open_config(nacos_settings(mesh.launcher))

        async def heard(*_: object) -> None:
            return None

        await client.add_listener(data_id("probe-service"), NACOS_GROUP, heard)
        await asyncio.sleep(0.3)  # the loop is now inside a fresh 5 s wait
        began = time.monotonic()
        await shut_down(client)
        return time.monotonic() - began

    with ThreadPoolExecutor(1) as pool:
        took = pool.submit(asyncio.run, listen_then_close()).result()
    print(f"[live-config] a listening config client closed in {took:.2f} s")
    assert took < 2.5, took


def test_weight_zero_or_disabled_in_nacos_takes_a_node_out_of_new_traffic_within_2_s(
    mesh: RunningMesh, client: httpx.Client
) -> None:
    """As an operator does in the Nacos console (its instance API): weight 0, then disabled."""
    nacos = mesh.launcher.nacos
    victim = mesh.nacos_instances(OCR_SERVICE)[0]
    ip, port = str(victim["ip"]), int(str(victim["port"]))
    address = f"{ip}:{port}"
    assert len(_served_by(client, 8)) == 2  # both nodes serve to begin with
    try:
        for change, shown in (({"weight": 0.0}, ("weight", 0.0)), ({"enabled": False}, ("enabled", False))):
            nacos.update_instance(OCR_SERVICE, ip, port, **change)  # type: ignore[arg-type]
            took = until(lambda s=shown: _out(client, address, *s), 10, f"the gateway seeing {change}")
            print(f"[live-config] Nacos {change} -> out of the gateway's rotation in {took:.2f} s")
            if "weight" in change:  # the bound; a disabled node is found by push or the 2 s reconcile
                assert took <= 2.0, took
            assert address not in _served_by(client, 8)
            nacos.update_instance(OCR_SERVICE, ip, port, weight=1.0, enabled=True)
            until(lambda: address in _served_by(client, 4), 10, "the node back in rotation")
    finally:
        nacos.update_instance(OCR_SERVICE, ip, port, weight=1.0, enabled=True)


def test_with_nacos_stopped_the_last_good_live_settings_stay(mesh: RunningMesh, client: httpx.Client) -> None:
    write_entry(mesh, "rate_per_user: 0.05\nburst_per_user: 2\n")
    until(lambda: client.get("/api/instances").status_code == 429, 10, "a 429 from the new limit")
    nacos = mesh.launcher.nacos
    nacos.stop()
    try:
        time.sleep(5)  # the config client has lost its server
        assert client.get("/api/instances").status_code == 429  # the limit from Nacos stays
    finally:
        nacos.start()
    # Back: every instance listed again, and the entry's removal heard.
    want = {p.port for p in mesh.launcher.procs()}
    until(
        lambda: (
            {
                int(str(h["port"]))
                for s in (GATEWAY, USER_SERVICE, OCR_SERVICE)
                for h in mesh.nacos_instances(s)
            }
            >= want
        ),
        30,
        "every instance registered again",
    )
    applied = updates_total(mesh, "applied")
    write_entry(mesh, None)
    # Heard, not waited out: the limit's bucket refills one token in 20 s, so a 200 proves nothing.
    took = until(lambda: updates_total(mesh, "applied") > applied, 15, "the entry's removal heard")
    print(f"[live-config] after the restart the entry's removal was heard in {took:.2f} s")
    assert [client.get("/api/instances").status_code for _ in range(5)] == [200] * 5
