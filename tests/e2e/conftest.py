"""A real mesh for end-to-end tests: real Nacos, real model, real processes, on free ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mesh_tools.launcher.launcher import Launcher
from tests.support import free_base_port


@dataclass
class RunningMesh:
    launcher: Launcher
    gateway: str

    def nacos_instances(self, service: str) -> list[dict[str, object]]:
        return self.launcher.nacos.instances(service)


@pytest.fixture(scope="session")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMesh]:
    data_dir: Path = tmp_path_factory.mktemp("mesh-data")
    os.environ["OCR_MESH_DATA_DIR"] = str(data_dir)
    nacos_port = free_base_port(18848, (-1000, 0, 1000, 1001, 2000))
    gateway_port = free_base_port(18080)
    launcher = Launcher(data_dir, nacos_port=nacos_port)
    launcher.up(ocr=2, users=1, gateway_port=gateway_port)
    try:
        yield RunningMesh(launcher, f"http://127.0.0.1:{gateway_port}")
    finally:
        launcher.down()


@pytest.fixture(scope="session")
def token(mesh: RunningMesh) -> str:
    with httpx.Client(base_url=mesh.gateway, trust_env=False, timeout=30) as c:
        creds = {"username": "e2e_user", "password": "long-enough-secret"}
        c.post("/api/auth/register", json=creds)
        r = c.post("/api/auth/login", json=creds)
        r.raise_for_status()
        return str(r.json()["access_token"])
