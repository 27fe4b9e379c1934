"""The real mesh every fault test starts from: Java Nacos, one user-service, three real
PaddleOCR nodes and a gateway (rate limits off), on free ports, in a fresh data folder.

Tests that need other shapes (small upstream servers, other gateway settings) add their own
processes; those that use another Nacos group or server say so. Every test should leave this
mesh as it found it; after each test a fixture checks that it did (Nacos up, every process
alive, listed in Nacos and in the gateway's view) and restores what is not, so one scenario
cannot poison the next. What it had to restore is printed, and a mesh it cannot restore
fails that test's teardown, naming the test that broke it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.launcher import Launcher, Proc
from mesh_tools.launcher.procs import alive
from tests.faults.support import gateway_ports, login, nacos_ports, start, wait_for, wait_ready
from tests.support import free_base_port

OPEN_LIMITS = {"OCR_MESH_RATE_PER_USER": "0", "OCR_MESH_RATE_PER_CLIENT": "0"}
UPLOAD_SECONDS = 15  # the fault mesh gateway's body deadline (default 60 s), for the stalled-upload test
# A killed gateway's job pages go back to the queue once their lease lapses (default 30 s).
GATEWAY_ENV = OPEN_LIMITS | {
    "OCR_MESH_UPLOAD_SECONDS": str(UPLOAD_SECONDS),
    "OCR_MESH_JOB_LEASE_SECONDS": "4",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@dataclass
class FaultMesh:
    launcher: Launcher
    data_dir: Path
    gateway: str
    gateway_proc: Proc
    users: Proc
    ocr: list[Proc]
    token: str = ""
    extra: list[Proc] = field(default_factory=list)

    @property
    def nacos_url(self) -> str:
        return self.launcher.nacos.url

    def ocr_ports(self) -> set[int]:
        return {p.port for p in self.ocr}

    def all_procs(self) -> list[Proc]:
        return [self.gateway_proc, self.users, *self.ocr]


@pytest.fixture(scope="session")
def fault_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultMesh]:
    data_dir: Path = tmp_path_factory.mktemp("fault-mesh")
    launcher = Launcher(data_dir, nacos_port=free_base_port(24848, (-1000, 0, 1000, 1001, 2000)))
    launcher.nacos.start(timeout=240)
    try:
        launcher.start_monitor()  # a real Prometheus, so the fuzzed monitoring routes have one
        users = start(launcher, USER_SERVICE)
        ocr = [start(launcher, OCR_SERVICE) for _ in range(3)]
        gw = start(launcher, GATEWAY, env=GATEWAY_ENV)
        wait_ready(launcher, [users, *ocr, gw], timeout=240)
        gateway = f"http://127.0.0.1:{gw.port}"
        mesh = FaultMesh(launcher, data_dir, gateway, gw, users, ocr)
        mesh.token = login(gateway, "fault_user")
        yield mesh
    finally:
        launcher.down()
        launcher.nacos.stop()


@pytest.fixture(autouse=True)
def _restore_fault_mesh(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "fault_mesh" in request.fixturenames:
        restore(request.getfixturevalue("fault_mesh"))


def restore(m: FaultMesh) -> None:
    """Bring the shared mesh back to its starting shape after a test, saying what was off."""
    fixed = []
    if not m.launcher.nacos.ready():
        m.launcher.nacos.stop()
        m.launcher.nacos.start(timeout=120)
        fixed.append("Nacos restarted")
    for i, proc in enumerate(m.ocr):
        if not alive(proc.pid):
            m.launcher.stop_service(proc)
            m.ocr[i] = m.launcher.start_service(OCR_SERVICE, proc.port)
            fixed.append(f"ocr-service :{proc.port} restarted")
    if not alive(m.users.pid):
        m.launcher.stop_service(m.users)
        m.users = m.launcher.start_service(USER_SERVICE, m.users.port)
        fixed.append(f"user-service :{m.users.port} restarted")
    gateway_died = not alive(m.gateway_proc.pid)
    if gateway_died:  # restarted for the next test, and this one fails: no test may leave it dead
        m.launcher.stop_service(m.gateway_proc)
        m.gateway_proc = m.launcher.start_service(GATEWAY, m.gateway_proc.port, extra_env=GATEWAY_ENV)
    wait_ready(m.launcher, m.all_procs(), timeout=240)
    wait_for(
        lambda: (
            gateway_ports(m.gateway, m.token) == m.ocr_ports()
            and m.users.port in gateway_ports(m.gateway, m.token, USER_SERVICE)
            and nacos_ports(m.launcher, OCR_SERVICE) >= m.ocr_ports()
        ),
        20,
        "the gateway and Nacos agreeing on the restored mesh",
    )
    if fixed:
        print(f"[fault-mesh restored] {'; '.join(fixed)}")
    if gateway_died:
        raise AssertionError("the fault mesh's gateway died during this test (restarted for the next)")
