"""The sweep against containers: a Docker Compose deployment rescaled between cells, or any running
gateway URL as it is. Both offer what the sweep uses of `ScaledMesh` (start, scale, running, pids,
url, token, close), so the cells, the report and the figures are the same.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from loadtest.mesh import ScaledMesh
from mesh_tools.launcher.procs import LaunchError

SERVICES = ("ocr-service", "user-service")


class HasPort(Protocol):
    @property
    def port(self) -> int: ...


class Mesh(Protocol):
    """What the sweep needs of its target (`ScaledMesh`, `ComposeMesh`, `GatewayMesh`)."""

    token: str

    @property
    def url(self) -> str: ...
    def start(self, ocr: int, users: int) -> None: ...
    def scale(self, ocr: int, users: int) -> list[str]: ...
    def running(self, service: str) -> Sequence[HasPort]: ...
    def pids(self) -> dict[int, str]: ...
    def close(self) -> list[str]: ...
    @property
    def prometheus(self) -> str | None: ...


@dataclass(frozen=True)
class Instance:
    """One running instance as the gateway or Docker sees it (what `ScaledMesh.running` lists)."""

    service: str
    host: str
    port: int
    pid: int | None = None


def gateway_view(url: str, token: str) -> dict[str, list[Instance]]:
    """Usable instances per service from the gateway's GET /api/instances."""
    r = httpx.get(
        f"{url}/api/instances", headers={"Authorization": f"Bearer {token}"}, timeout=10, trust_env=False
    )
    r.raise_for_status()
    services = r.json()["services"]
    return {
        s: [
            Instance(s, str(i["host"]), int(i["port"]))
            for i in services.get(s, [])
            if i["healthy"] and i.get("enabled", True) and not i["ejected"]
        ]
        for s in SERVICES
    }


@dataclass
class GatewayMesh:
    """An already running deployment behind `url`: measured as it is, never rescaled."""

    url: str
    token: str = ""
    prometheus: str | None = None  # the deployment's own Prometheus is passed with --prometheus

    def start(self, ocr: int, users: int) -> None:
        try:
            httpx.get(f"{self.url}/health", timeout=10, trust_env=False).raise_for_status()
        except httpx.HTTPError as exc:
            raise LaunchError(f"no gateway answers at {self.url}/health: {exc}") from exc

    def scale(self, ocr: int, users: int) -> list[str]:
        """Only checks: a cell labelled with other counts than the deployment's would mislead."""
        have = {s: len(v) for s, v in gateway_view(self.url, self.token).items()}
        if have != {"ocr-service": ocr, "user-service": users}:
            raise LaunchError(
                f"the gateway at {self.url} routes to {have['ocr-service']} OCR and {have['user-service']} "
                f"user-service instances; ask for --ocr {have['ocr-service']} --users {have['user-service']} "
                "(a running gateway URL is measured as it is, not rescaled)"
            )
        return []

    def running(self, service: str) -> list[Instance]:
        return gateway_view(self.url, self.token)[service] if self.token else []

    def pids(self) -> dict[int, str]:
        return {}  # another machine's processes: CPU and memory are not sampled

    def close(self) -> list[str]:
        return [f"left the deployment at {self.url} as it was"]


@dataclass
class ComposeMesh(GatewayMesh):
    """The compose project in `directory`: `docker compose up -d --scale` between cells."""

    directory: Path = Path(".")
    project: str | None = None
    files: list[Path] = field(default_factory=list)

    def compose(self, *args: str, timeout: float = 900) -> str:
        cmd = ["docker", "compose", *(["-p", self.project] if self.project else [])]
        cmd += [a for f in self.files for a in ("-f", str(f))]
        result = subprocess.run(
            [*cmd, *args], cwd=self.directory, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise LaunchError(f"{' '.join(cmd + list(args))} failed: {result.stderr.strip()[-1000:]}")
        return result.stdout

    def start(self, ocr: int, users: int) -> None:
        self.compose("up", "-d", "--no-recreate", *self._scales(ocr, users))
        deadline = time.monotonic() + 300
        while True:
            try:
                super().start(ocr, users)
                return
            except LaunchError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)

    def scale(self, ocr: int, users: int) -> list[str]:
        before = {s: len(self._containers(s)) for s in SERVICES}
        self.compose("up", "-d", "--no-recreate", "--no-build", *self._scales(ocr, users))
        want = {s: {i.host for i in self._containers(s)} for s in SERVICES}
        deadline = time.monotonic() + 300
        seen: dict[str, set[str]] = {}
        while time.monotonic() < deadline:
            try:
                seen = {s: {i.host for i in v} for s, v in gateway_view(self.url, self.token).items()}
            except (httpx.HTTPError, ValueError, KeyError):
                seen = {}
            if seen == want:
                return [
                    f"{s}: {before[s]} -> {len(want[s])} containers"
                    for s in SERVICES
                    if before[s] != len(want[s])
                ]
            time.sleep(0.5)
        raise LaunchError(f"the gateway did not converge on {want} within 300 s (saw {seen})")

    def running(self, service: str) -> list[Instance]:
        return self._containers(service)

    def pids(self) -> dict[int, str]:
        """Each container's main process on this host, by role, for the CPU/memory sampler."""
        roles = {
            "gateway": "gateway",
            "nacos": "nacos",
            "ocr-service": "ocr-service",
            "user-service": "user-service",
        }
        out: dict[int, str] = {}
        for service, role in roles.items():
            out |= {i.pid: role for i in self._containers(service) if i.pid}
        return out

    def close(self) -> list[str]:
        return ["left the compose project running (`docker compose down` stops it)"]

    @staticmethod
    def _scales(ocr: int, users: int) -> list[str]:
        return ["--scale", f"ocr-service={ocr}", "--scale", f"user-service={users}"]

    def _containers(self, service: str) -> list[Instance]:
        ids = self.compose("ps", "-q", service).split()
        if not ids:
            return []
        out = subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True, check=True).stdout
        found = []
        for info in json.loads(out):
            if not info["State"]["Running"]:
                continue
            nets = list(info["NetworkSettings"]["Networks"].values())
            port = int(next(iter(info["Config"].get("ExposedPorts") or {"0/tcp": {}})).split("/")[0])
            found.append(
                Instance(service, nets[0]["IPAddress"] if nets else "", port, int(info["State"]["Pid"]))
            )
        return found


def make_mesh(
    data_dir: Path,
    nacos_kind: str,
    nacos_port: int | None,
    gateway_url: str | None,
    compose: Path | None,
    *,
    monitor: bool = False,
) -> Mesh:
    """The target of a sweep: a local mesh (default), a compose project, or a running gateway."""
    if compose is not None:
        return ComposeMesh(url=gateway_url or "http://127.0.0.1:8080", directory=compose)
    if gateway_url is not None:
        return GatewayMesh(url=gateway_url.rstrip("/"))
    return ScaledMesh(data_dir, nacos_kind, nacos_port, monitor=monitor)
