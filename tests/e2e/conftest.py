"""A real mesh for end-to-end tests: real Nacos, real model, real processes, on free ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from mesh_tools.launcher.launcher import Launcher
from tests.e2e.browser import PageWatch, chromium, enforce_csp, new_context, unique_username, watch
from tests.support import free_base_port

PASSWORD = "Lantern-orbit-2026"  # the browser tests' accounts
TARGETS_GRACE_SECONDS = 45  # how long Prometheus scrapes an instance gone from Nacos (> the alert's for)


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
    os.environ["OCR_MESH_TARGETS_GRACE_SECONDS"] = str(TARGETS_GRACE_SECONDS)
    nacos_port = free_base_port(18848, (-1000, 0, 1000, 1001, 2000))
    gateway_port = free_base_port(18080)
    launcher = Launcher(data_dir, nacos_port=nacos_port)
    launcher.up(ocr=2, users=1, gateway_port=gateway_port, monitor=True)
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def watched(browser: Browser, mesh: RunningMesh) -> Iterator[tuple[Page, PageWatch]]:
    """A fresh page under the CSP, watched: any violation, console error or crash fails the test."""
    context = new_context(browser, mesh.gateway)
    pg = context.new_page()
    seen = watch(pg)
    enforce_csp(pg)
    try:
        yield pg, seen
    finally:
        context.close()
    assert not seen.problems(), "problems in the page:\n" + "\n".join(seen.problems())


@pytest.fixture
def page(watched: tuple[Page, PageWatch]) -> Page:
    return watched[0]


@pytest.fixture(scope="module")
def account(mesh: RunningMesh) -> tuple[str, str]:
    """A user registered through the API, for tests that start at the login form."""
    username = unique_username("webuser")
    with httpx.Client(base_url=mesh.gateway, trust_env=False, timeout=30) as c:
        r = c.post("/api/auth/register", json={"username": username, "password": PASSWORD})
        assert r.status_code == 201, r.text
    return username, PASSWORD
