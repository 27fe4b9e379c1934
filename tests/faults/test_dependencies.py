"""The mesh's dependencies failing under steady load: Nacos stopped for 30 s, the user service killed."""

from __future__ import annotations

import os
import signal
import time

import httpx

from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.procs import alive
from tests.faults.conftest import FaultMesh
from tests.faults.support import (
    Load,
    assert_error_shape,
    gateway_ports,
    nacos_ports,
    report,
    small_image,
    wait_for,
    wait_ready,
)

NACOS_DOWN_SECONDS = 30


def test_nacos_down_30s_traffic_goes_on_and_services_reregister(fault_mesh: FaultMesh) -> None:
    """Real OCR nodes (3), load at concurrency 8 with a short pause between requests: Java Nacos is
    stopped for 30 s and started again. Every request succeeds from the gateway's cached lists,
    and every service re-registers by itself: checked in Nacos' own open API, group ocr_back."""
    m = fault_mesh
    expected = {
        OCR_SERVICE: m.ocr_ports(),
        USER_SERVICE: {m.users.port},
        GATEWAY: {m.gateway_proc.port},
    }
    with Load(m.gateway, m.token, small_image(), concurrency=8, think=0.2, max_seconds=88) as load:
        time.sleep(2.0)
        m.launcher.nacos.stop()
        stopped_at = load.elapsed()
        time.sleep(max(0.0, NACOS_DOWN_SECONDS - (load.elapsed() - stopped_at)))
        down_for = load.elapsed() - stopped_at
        m.launcher.nacos.start(timeout=60)
        up_at = load.elapsed()
        took = wait_for(
            lambda: all(ports <= nacos_ports(m.launcher, svc) for svc, ports in expected.items()),
            25,
            "every service re-registered in Nacos",
        )
        time.sleep(1.0)
    during = [o for o in load.outcomes if stopped_at <= o.at <= up_at]
    report(
        "nacos-down",
        f"{load.summary()}; Nacos down {down_for:.0f} s, back after {up_at - stopped_at:.0f} s; "
        f"{len(during)} requests while it was down; all re-registered {took:.1f} s after it was ready",
    )
    assert not load.failures(), load.summary()
    assert len(during) > 20
    assert gateway_ports(m.gateway, m.token) == m.ocr_ports()


def test_user_service_killed_logins_503_ocr_goes_on_then_back_with_every_user(fault_mesh: FaultMesh) -> None:
    """Real OCR nodes, OCR load at concurrency 8 with tokens issued before: the user service is
    SIGKILLed. Logins answer 503 in the error shape, OCR keeps working (the gateway verifies tokens
    locally); restarted on the same data folder, every user created before logs in again."""
    m = fault_mesh
    users = {f"survivor_{i}": f"survivor-secret-{i}-x" for i in range(5)}
    with httpx.Client(base_url=m.gateway, trust_env=False, timeout=30) as c:
        for name, password in users.items():
            r = c.post("/api/auth/register", json={"username": name, "password": password})
            assert r.status_code in (201, 409), r.text
        with Load(m.gateway, m.token, small_image(), concurrency=8, think=0.1, max_seconds=80) as load:
            time.sleep(1.5)
            os.kill(m.users.pid, signal.SIGKILL)
            wait_for(lambda: not alive(m.users.pid), 10, "the user service dying")
            killed_at = load.elapsed()
            refused = []
            for name, password in list(users.items())[:3]:
                r = c.post("/api/auth/login", json={"username": name, "password": password})
                refused.append(assert_error_shape(r, 503))
                assert "Retry-After" in r.headers
            assert_error_shape(
                c.post("/api/auth/register", json={"username": "late", "password": "late-secret-1"}), 503
            )
            wait_for(
                lambda: m.users.port not in nacos_ports(m.launcher, USER_SERVICE),
                30,
                "Nacos dropping the killed user service",
            )
            time.sleep(2.0)
            m.launcher.stop_service(m.users)
            m.users = m.launcher.start_service(USER_SERVICE, m.users.port)
            wait_ready(m.launcher, [m.users], timeout=60)
            back_at = load.elapsed()

            def logins_work() -> bool:
                return (
                    c.post(
                        "/api/auth/login", json={"username": "survivor_0", "password": users["survivor_0"]}
                    ).status_code
                    == 200
                )

            took = wait_for(logins_work, 20, "logins working again", every=0.5)
        for name, password in users.items():
            r = c.post("/api/auth/login", json={"username": name, "password": password})
            assert r.status_code == 200, (name, r.text)
            me = c.get("/api/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
            assert me.status_code == 200 and me.json()["username"] == name
    during = [o for o in load.outcomes if killed_at <= o.at <= back_at]
    report(
        "user-service-killed",
        f"{load.summary()}; logins while down: 503 {sorted(set(refused))}; "
        f"{len(during)} OCR requests while it was down; logins back {took:.1f} s after re-registration",
    )
    assert not load.failures(), load.summary()
    assert len(during) > 10
