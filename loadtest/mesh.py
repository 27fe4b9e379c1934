"""A mesh for the sweep, scaled through the Launcher; Nacos and the gateway stay up throughout."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from loadtest.runner import Credentials, ensure_users, login
from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.launcher import Launcher, Proc
from mesh_tools.launcher.procs import LaunchError, port_free

# The rate limiter would cap capacity figures at its own numbers, so the sweep turns it off.
# The study measures capacity, so the gateway's per-user and per-client rate limits are off,
# and its wait for a free OCR slot is long enough for 64 closed-loop clients on one node
# (about 45 s of queue at ~1.5 images/s); the report states these settings.
GATEWAY_ENV = {
    "OCR_MESH_RATE_PER_USER": "0",
    "OCR_MESH_RATE_PER_CLIENT": "0",
    "OCR_MESH_OCR_SLOT_WAIT": "150",
    "OCR_MESH_OCR_TIMEOUT": "180",
    "OCR_MESH_RESULT_CACHE_MB": "0",  # every request reaches a node: the same image is posted again and again
}
NACOS_SPAN = (-1000, 0, 1000, 1001, 2000)  # main port offsets a local Nacos opens


def free_nacos_port(start: int = 8848, host: str = "127.0.0.1") -> int:
    """The first base port from start whose Nacos ports are all free."""
    port = start
    while port < 60000:
        if all(port_free(host, port + off) for off in NACOS_SPAN):
            return port
        port += 10
    raise LaunchError("no free ports for Nacos")


class ScaledMesh:
    """Nacos + one gateway + N ocr-service + M user-service, rescaled per cell."""

    def __init__(
        self,
        data_dir: Path,
        nacos_kind: str | None = None,
        nacos_port: int | None = None,
        *,
        monitor: bool = False,
        gateway_env: dict[str, str] | None = None,
    ) -> None:
        self.launcher = Launcher(data_dir, nacos_port=nacos_port or free_nacos_port(), nacos_kind=nacos_kind)
        self.monitor = monitor
        self.gateway_env = GATEWAY_ENV | (gateway_env or {})
        self.gateway: Proc | None = None
        self.token = ""
        self._own_nacos = False

    @property
    def url(self) -> str:
        assert self.gateway is not None
        return f"http://{self.launcher.host}:{self.gateway.port}"

    @property
    def prometheus(self) -> str | None:
        """The URL of the Prometheus started beside this mesh, if any."""
        return self.launcher.prometheus_url()

    def running(self, service: str) -> list[Proc]:
        return [p for p in self.launcher.procs() if p.service == service]

    def start(self, ocr: int, users: int) -> None:
        """Nacos, then the first counts of services, then the gateway; all ready."""
        self._own_nacos = self.launcher.nacos.running_pid() is None
        self.launcher.nacos.start()
        if self.monitor:
            self.launcher.start_monitor()
        self.scale(ocr, users, check_gateway=False)
        self.gateway = self.launcher.start_service(GATEWAY, extra_env=self.gateway_env)
        self.launcher.wait_ready([self.gateway])

    def scale(self, ocr: int, users: int, *, check_gateway: bool = True) -> list[str]:
        """Start or stop instances until the counts match; returns what changed."""
        said: list[str] = []
        started: list[Proc] = []
        for service, want in ((OCR_SERVICE, ocr), (USER_SERVICE, users)):
            have = self.running(service)
            for proc in have[want:][::-1]:
                self.launcher.stop_service(proc)
                said.append(f"stopped {service} :{proc.port}")
            for _ in range(want - len(have)):
                started.append(self.launcher.start_service(service))
                said.append(f"started {service} :{started[-1].port}")
        if started:
            self.launcher.wait_ready(started)
        if check_gateway:
            self.wait_gateway_view()
        return said

    def sign_in(self, username: str, password: str) -> str:
        """Register the account (if new) and log in; the token is kept for the mesh's own checks."""
        creds = Credentials(username, password)
        asyncio.run(ensure_users(self.url, [creds]))

        async def token() -> str:
            async with httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=60) as client:
                return await login(client, creds)

        self.token = asyncio.run(token())
        return self.token

    def wait_gateway_view(self, timeout: float = 60.0) -> None:
        """Until the gateway's balancer lists exactly the running instances, all usable."""
        want = {s: {p.port for p in self.running(s)} for s in (OCR_SERVICE, USER_SERVICE)}
        deadline = time.monotonic() + timeout
        seen: dict[str, set[int]] = {}
        while time.monotonic() < deadline:
            try:
                r = httpx.get(
                    f"{self.url}/api/instances",
                    headers={"Authorization": f"Bearer {self.token}"},
                    timeout=5,
                    trust_env=False,
                )
                services = r.json()["services"] if r.status_code == 200 else {}
            except (httpx.HTTPError, ValueError, KeyError):
                services = {}
            seen = {
                s: {
                    int(i["port"])
                    for i in services.get(s, [])
                    if i["healthy"] and i.get("enabled", True) and not i["ejected"]
                }
                for s in want
            }
            if seen == want:
                return
            time.sleep(0.3)
        raise LaunchError(f"the gateway did not converge on {want} within {timeout:.0f} s (saw {seen})")

    def pids(self) -> dict[int, str]:
        """Every process of the mesh by role (nacos, gateway, user-service, ocr-service)."""
        roles = {GATEWAY: "gateway"}
        out = {p.pid: roles.get(p.service, p.service) for p in self.launcher.procs()}
        nacos = self.launcher.nacos.running_pid()
        if nacos is not None:
            out[nacos] = "nacos"
        return out

    def close(self) -> list[str]:
        """Gateway, then the services, then Nacos if this mesh started it."""
        said = self.launcher.down()
        if self._own_nacos:
            said.append(self.launcher.nacos.stop())
        return said
