"""The real mesh every fault test starts from: Java Nacos, one user-service, three real
PaddleOCR nodes and a gateway (rate limits off), on free ports, in a fresh data folder.

Tests that need other shapes (small upstream servers, other gateway settings) add their own
processes; those that use another Nacos group or server say so. Every test leaves this mesh
as it found it: all processes up and registered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.faults.support import login, start, wait_ready
from tests.support import free_base_port
from tools.launcher.launcher import Launcher, Proc

OPEN_LIMITS = {"OCR_MESH_RATE_PER_USER": "0", "OCR_MESH_RATE_PER_CLIENT": "0"}
UPLOAD_SECONDS = 15  # the fault mesh gateway's body deadline (default 60 s), for the stalled-upload test


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
    launcher = Launcher(data_dir, nacos_port=free_base_port(38848, (-1000, 0, 1000, 1001, 2000)))
    launcher.nacos.start(timeout=240)
    try:
        users = start(launcher, "user-service")
        ocr = [start(launcher, "ocr-service") for _ in range(3)]
        gw = start(
            launcher, "ocr-gateway", env=OPEN_LIMITS | {"OCR_MESH_UPLOAD_SECONDS": str(UPLOAD_SECONDS)}
        )
        wait_ready(launcher, [users, *ocr, gw], timeout=240)
        gateway = f"http://127.0.0.1:{gw.port}"
        mesh = FaultMesh(launcher, data_dir, gateway, gw, users, ocr)
        mesh.token = login(gateway, "fault_user")
        yield mesh
    finally:
        launcher.down()
        launcher.nacos.stop()
