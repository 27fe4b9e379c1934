"""The gateway against real Nacos and real upstream processes (issue 5's acceptance tests).

Upstreams are tests/e2e/upstream.py: small real HTTP servers that register in Nacos like
an OCR node, where the model is beside the point.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from gateway.canary import HINT_HEADER
from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.launcher import Launcher, Proc
from tests.e2e.nacos_config import publish_entry
from tests.faults.support import login
from tests.support import free_base_port

pytestmark = pytest.mark.e2e

UPSTREAM = "tests.e2e.upstream"
WEIGHTS = {1: 0.05, 2: 0.0, 3: 0.0}  # weight -> answer delay (the weight-1 instance is slow)


@dataclass
class Mesh:
    launcher: Launcher
    gateways: dict[str, str]
    upstreams: dict[float, Proc]
    token: str = ""
    extra: list[Proc] = field(default_factory=list)

    def client(self, gateway: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.gateways[gateway],
            # no-store: the balancing is measured, not the result cache in front of it
            headers={"Authorization": f"Bearer {self.token}", "Cache-Control": "no-store"},
            trust_env=False,
            timeout=30,
        )


def _upstream_env(weight: float, delay: float, service: str = OCR_SERVICE) -> dict[str, str]:
    return {
        "OCR_MESH_WEIGHT": str(weight),
        "OCR_MESH_UPSTREAM_DELAY": str(delay),
        "OCR_MESH_UPSTREAM_SERVICE": service,
    }


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    data_dir: Path = tmp_path_factory.mktemp("gateway-mesh")
    launcher = Launcher(data_dir, nacos_port=free_base_port(28848, (-1000, 0, 1000, 1001, 2000)))
    launcher.nacos.start()
    try:
        upstreams = {
            float(w): launcher.start_service(OCR_SERVICE, module=UPSTREAM, extra_env=_upstream_env(w, d))
            for w, d in WEIGHTS.items()
        }
        slow = launcher.start_service(
            "slow-ocr", module=UPSTREAM, extra_env=_upstream_env(1, 2.0, "slow-ocr")
        )
        users = launcher.start_service(USER_SERVICE)
        gateways = {}
        configs = {
            "round_robin": {"OCR_MESH_OCR_STRATEGY": "round_robin", "OCR_MESH_RATE_PER_USER": "0"},
            "weighted_random": {"OCR_MESH_OCR_STRATEGY": "weighted_random", "OCR_MESH_RATE_PER_USER": "0"},
            "least_in_flight": {"OCR_MESH_OCR_STRATEGY": "least_in_flight", "OCR_MESH_RATE_PER_USER": "0"},
            "limits": {
                "OCR_MESH_OCR_SERVICE": "slow-ocr",
                "OCR_MESH_RATE_PER_USER": "0.5",
                "OCR_MESH_BURST_PER_USER": "3",
                "OCR_MESH_OCR_MAX_IN_FLIGHT": "1",
                "OCR_MESH_OCR_SLOT_WAIT": "0.3",
                "OCR_MESH_OCR_ATTEMPT_TIMEOUT": "1.0",
                "OCR_MESH_OCR_TIMEOUT": "1.5",
                "OCR_MESH_MAX_UPLOAD_BYTES": "2000",
            },
        }
        procs = []
        for name, env in configs.items():
            proc = launcher.start_service(GATEWAY, extra_env=env)
            gateways[name] = f"http://127.0.0.1:{proc.port}"
            procs.append(proc)
        launcher.wait_ready([*upstreams.values(), slow, users, *procs])
        m = Mesh(launcher, gateways, upstreams)
        # Ready is not yet routed: the gateway may hear of the user service by push a moment later.
        m.token = login(gateways["round_robin"], "balancer", "balancer-secret-1")
        _wait_until_gateways_see(m, 3)
        yield m
    finally:
        launcher.down()
        launcher.nacos.stop()


def _wait_until_gateways_see(m: Mesh, count: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    for name in ("round_robin", "weighted_random", "least_in_flight"):
        with m.client(name) as c:
            while len(c.get("/api/instances").json()["services"][OCR_SERVICE]) != count:
                assert time.monotonic() < deadline, f"{name} never saw {count} instances"
                time.sleep(0.1)


def _served_by(
    m: Mesh, gateway: str, n: int, concurrency: int = 1, headers: dict[str, str] | None = None
) -> Counter[int]:
    def one(c: httpx.Client) -> int:
        r = c.post("/api/ocr", files={"image": ("x.png", b"\x89PNG", "image/png")}, headers=headers)
        assert r.status_code == 200, r.text
        return int(r.headers["X-Served-By"].rsplit(":", 1)[1])

    with m.client(gateway) as c, ThreadPoolExecutor(concurrency) as pool:
        return Counter(pool.map(lambda _: one(c), range(n)))


def _port_share(m: Mesh, counts: Counter[int]) -> dict[float, float]:
    total = sum(counts.values())
    return {w: counts[p.port] / total for w, p in m.upstreams.items()}


def test_round_robin_is_exactly_even(mesh: Mesh) -> None:
    counts = _served_by(mesh, "round_robin", 300)
    assert sorted(counts.values()) == [100, 100, 100]


def test_weighted_random_follows_nacos_weights(mesh: Mesh) -> None:
    share = _port_share(mesh, _served_by(mesh, "weighted_random", 600))
    for weight, got in share.items():
        assert got == pytest.approx(weight / 6, abs=0.07), share


def test_least_in_flight_sends_less_to_the_slow_instance(mesh: Mesh) -> None:
    share = _port_share(mesh, _served_by(mesh, "least_in_flight", 400, concurrency=8))
    # the slow one: round robin would give it a third; fewer in flight elsewhere draws traffic away
    assert share[1.0] < 0.3 and share[1.0] < min(share[2.0], share[3.0]), share


def _canary_marks(m: Mesh, gateway: str) -> dict[int, bool]:
    """The `canary` mark of each OCR instance the gateway lists, by port."""
    with m.client(gateway) as c:
        listed = c.get("/api/instances").json()["services"][OCR_SERVICE]
    return {int(i["port"]): bool(i.get("canary")) for i in listed}


def _wait_for_marks(m: Mesh, want: dict[int, bool], timeout: float = 30) -> None:
    """Every balancing gateway lists exactly these OCR instances with these marks (the live
    settings heard from Nacos Config)."""
    deadline = time.monotonic() + timeout
    for name in ("round_robin", "weighted_random", "least_in_flight"):
        while (marks := _canary_marks(m, name)) != want:
            assert time.monotonic() < deadline, f"{name} lists {marks}, not {want}"
            time.sleep(0.1)


def test_a_ten_percent_canary_and_the_version_hint_through_nacos(mesh: Mesh) -> None:
    """A node registered with metadata version 2.0, made the canary through Nacos Config: it gets
    10 % of 1,000 requests, and every request hinted `X-Mesh-Version: 2.0`."""
    canary = mesh.launcher.start_service(
        OCR_SERVICE, module=UPSTREAM, extra_env=_upstream_env(1, 0) | {"OCR_MESH_VERSION": "2.0"}
    )
    stable = {p.port for p in mesh.upstreams.values()}
    try:
        mesh.launcher.wait_ready([canary])
        _wait_until_gateways_see(mesh, 4)
        publish_entry(mesh.launcher, "canary_version: '2.0'\ncanary_percent: 10")
        _wait_for_marks(mesh, {canary.port: True} | dict.fromkeys(stable, False))

        counts = _served_by(mesh, "round_robin", 1000, concurrency=8)
        assert set(counts) <= stable | {canary.port}, counts
        share = counts[canary.port] / 1000
        print(f"[canary] 10 % configured: {share:.1%} of 1,000 requests went to the canary (e2e)")
        assert 0.06 <= share <= 0.14, counts  # ±4.2 sd of a fair 10 % coin over 1,000: 1 in 40,000 runs fails
        assert stable <= set(counts), counts

        hinted = _served_by(mesh, "round_robin", 30, headers={HINT_HEADER: "2.0"})
        print(f"[canary] {hinted[canary.port]} of 30 hinted requests went to the canary")
        assert hinted == Counter({canary.port: 30}), hinted
    finally:
        publish_entry(mesh.launcher, None)
        _wait_for_marks(mesh, {canary.port: False} | dict.fromkeys(stable, False))
        mesh.launcher.stop_service(canary)
        _wait_until_gateways_see(mesh, 3)


def _metric(gateway: str, instance: str) -> float:
    text = httpx.get(f"{gateway}/metrics", trust_env=False).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("gateway_upstream_requests_total{") and f'instance="{instance}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _steady_load(m: Mesh, gateway: str, stop: threading.Event, concurrency: int = 8) -> list[int]:
    """Closed-loop clients until stop is set; returns every status seen."""
    statuses: list[int] = []

    def worker() -> None:
        with m.client(gateway) as c:
            while not stop.is_set():
                r = c.post("/api/ocr", files={"image": ("x.png", b"\x89PNG", "image/png")})
                statuses.append(r.status_code)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(30)
    return statuses


def test_sigkill_under_load_fails_no_request_and_stops_traffic_within_1s(mesh: Mesh) -> None:
    gateway = mesh.gateways["least_in_flight"]
    victim = mesh.upstreams[3.0]
    address = f"127.0.0.1:{victim.port}"
    stop = threading.Event()
    result: list[int] = []
    loader = threading.Thread(target=lambda: result.extend(_steady_load(mesh, "least_in_flight", stop)))
    loader.start()
    time.sleep(1.5)
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    time.sleep(1.0)
    attempts_after_1s = _metric(gateway, address)
    time.sleep(3.0)
    attempts_at_end = _metric(gateway, address)
    stop.set()
    loader.join(60)
    failures = [s for s in result if s != 200]
    assert len(result) > 100 and not failures, Counter(result)
    assert attempts_at_end == attempts_after_1s, "the killed instance still got traffic after 1 s"
    assert time.monotonic() - killed_at > 3
    mesh.launcher.stop_service(victim)
    mesh.upstreams[3.0] = mesh.launcher.start_service(
        OCR_SERVICE, victim.port, module=UPSTREAM, extra_env=_upstream_env(3, 0)
    )
    mesh.launcher.wait_ready([mesh.upstreams[3.0]])
    _wait_until_gateways_see(mesh, 3)


def test_nacos_down_keeps_traffic_and_nacos_back_brings_new_instances(mesh: Mesh) -> None:
    mesh.launcher.nacos.stop()
    try:
        counts = _served_by(mesh, "round_robin", 60, concurrency=4)
        assert sum(counts.values()) == 60 and len(counts) == 3
    finally:
        mesh.launcher.nacos.start()
    newcomer = mesh.launcher.start_service(OCR_SERVICE, module=UPSTREAM, extra_env=_upstream_env(1, 0))
    mesh.launcher.wait_ready([newcomer])
    registered_at = time.monotonic()
    seen = False
    while time.monotonic() - registered_at < 5 and not seen:
        seen = newcomer.port in _served_by(mesh, "round_robin", 8)
    assert seen, "a new instance did not receive traffic within 5 s of registering after Nacos came back"
    mesh.launcher.stop_service(newcomer)
    _wait_until_gateways_see(mesh, 3)  # the next test starts from the module's three upstreams


def test_limits_answer_their_status(mesh: Mesh) -> None:
    gateway = mesh.gateways["limits"]
    with httpx.Client(base_url=gateway, trust_env=False, timeout=30) as c:
        creds = {"username": "limited", "password": "limited-secret-1"}
        c.post("/api/auth/register", json=creds)
        token = c.post("/api/auth/login", json=creds).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"

        big = c.post("/api/ocr", files={"image": ("big.png", b"x" * 5000, "image/png")})
        assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"

        statuses = []
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(c.post, "/api/ocr", files={"image": ("a.png", b"a", "image/png")})]
            time.sleep(0.3)
            futures.append(pool.submit(c.post, "/api/ocr", files={"image": ("b.png", b"b", "image/png")}))
            statuses = [f.result() for f in futures]
        timed_out, busy = statuses
        assert timed_out.status_code == 504 and timed_out.json()["error"]["code"] == "upstream_timeout"
        assert busy.status_code == 503 and busy.json()["error"]["code"] == "overloaded"
        assert "Retry-After" in busy.headers

        limited = c.get("/api/auth/me")
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
