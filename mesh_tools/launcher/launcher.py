"""`ocr-mesh up/down`: start Nacos, the services and the gateway; stop them in order."""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.allocator import engine_env
from mesh_tools.launcher.procs import (
    LaunchError,
    next_free_port,
    port_free,
    read_pid,
    spawn,
    stop_pid,
    wait_http,
    wait_port_free,
)
from mesh_tools.monitoring.prometheus import Monitor
from mesh_tools.nacos_server.server import NacosServer, default_kind

MODULES = {USER_SERVICE: "user_service", OCR_SERVICE: "ocr_service", GATEWAY: "gateway"}
REPO_ROOT = Path(__file__).resolve().parents[2]
BASE_PORTS = {USER_SERVICE: 8001, OCR_SERVICE: 8101, GATEWAY: 8080}
PORT_RELEASE_SECONDS = 10.0  # how long a port asked for by number may take to be let go


@dataclass
class Proc:
    service: str
    port: int
    pid: int
    log: str


class Launcher:
    """Starts and stops the processes of one mesh on this machine; state in <data>/run/."""

    def __init__(
        self, data_dir: Path, host: str = "127.0.0.1", nacos_port: int = 8848, nacos_kind: str | None = None
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.nacos = NacosServer(self.data_dir, host, nacos_port, nacos_kind or default_kind())
        self.run_dir = self.data_dir / "run"
        self.state_file = self.run_dir / "mesh.json"

    def _load(self) -> dict[str, object]:
        if self.state_file.exists():
            data: dict[str, object] = json.loads(self.state_file.read_text())
            return data
        return {"procs": [], "started_nacos": False}

    def _save(self, state: dict[str, object]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(state, indent=1))

    def procs(self) -> list[Proc]:
        raw = self._load()["procs"]
        assert isinstance(raw, list)
        return [Proc(**p) for p in raw]

    def _env(self, service: str, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCR_MESH_PORT")}
        env.update(
            OCR_MESH_PORT=str(port),
            OCR_MESH_HOST=self.host,
            OCR_MESH_DATA_DIR=str(self.data_dir),
            OCR_MESH_NACOS_ADDR=f"{self.nacos.host}:{self.nacos.port}",
            PYTHONUNBUFFERED="1",
        )
        prometheus = self.prometheus_url()
        if prometheus:  # the gateway draws the page's charts from it
            env["OCR_MESH_PROMETHEUS_URL"] = prometheus
        return env

    def start_service(
        self,
        service: str,
        port: int | None = None,
        *,
        module: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Proc:
        """Start one instance on the given port, or on the next free one for its service."""
        taken = {p.port for p in self.procs()}
        if port is None:
            port = next_free_port(self.host, BASE_PORTS.get(service, 8201), taken)
        elif not wait_port_free(self.host, port, PORT_RELEASE_SECONDS):
            raise LaunchError(f"port {port} on {self.host} is already in use; {service} cannot start there")
        log = self.run_dir / "logs" / f"{service}-{port}.log"
        pid_file = self.run_dir / f"{service}-{port}.pid"
        args = [sys.executable, "-m", module or MODULES[service]]
        env = self._env(service, port) | (extra_env or {})
        if service == OCR_SERVICE:
            env = engine_env(env)
        popen = spawn(args, log=log, pid_file=pid_file, env=env, cwd=REPO_ROOT)
        proc = Proc(service, port, popen.pid, str(log))
        state = self._load()
        procs = state["procs"]
        assert isinstance(procs, list)
        procs.append(asdict(proc))
        self._save(state)
        return proc

    def wait_ready(self, procs: list[Proc], timeout: float = 180.0) -> None:
        """Every process answers /health 200 and is listed as healthy in Nacos."""
        for proc in procs:
            wait_http(f"http://{self.host}:{proc.port}/health", timeout, proc.pid, Path(proc.log))
        token = self.nacos.login()
        deadline = time.monotonic() + 30
        for proc in procs:
            while not self._registered(token, proc):
                if time.monotonic() > deadline:
                    raise LaunchError(f"{proc.service} on port {proc.port} never showed up in Nacos")
                time.sleep(0.2)

    def _registered(self, token: str, proc: Proc) -> bool:
        try:
            hosts = self.nacos.instances(proc.service, token=token)
        except httpx.HTTPError:
            return False
        return any(h["port"] == proc.port and h.get("healthy") for h in hosts)

    def monitor(self) -> Monitor:
        return Monitor(self.data_dir, self.host)

    def prometheus_url(self) -> str | None:
        """The Prometheus started with this mesh, if any."""
        url = self._load().get("prometheus")
        return str(url) if url else None

    def start_monitor(self) -> Monitor:
        """Prometheus and its discovery bridge; services started after this get its URL."""
        try:
            prometheus = self.monitor().start(self._env("mesh-targets", 0))
        except BaseException:
            self.monitor().stop()
            raise
        self._save(self._load() | {"prometheus": prometheus.url})
        print(f"Prometheus ready at {prometheus.url} (targets from Nacos via :{prometheus.targets_port})")
        return prometheus

    def up(self, ocr: int, users: int, gateway_port: int = 8080, *, monitor: bool = False) -> list[Proc]:
        """Nacos (unless it runs), then Prometheus if asked, the services, and the gateway last."""
        if self.procs() and any(
            read_pid(Path(self.run_dir / f"{p.service}-{p.port}.pid")) for p in self.procs()
        ):
            raise LaunchError("a mesh from this data folder is already running; run `ocr-mesh down` first")
        self._save({"procs": [], "started_nacos": False})
        if self.nacos.running_pid() is None or not self.nacos.ready():
            print(self.nacos.start())
            self._save({"procs": [], "started_nacos": True})
        if not port_free(self.host, gateway_port):
            raise LaunchError(
                f"port {gateway_port} on {self.host} is already in use; the gateway cannot start"
            )
        if monitor:
            try:
                self.start_monitor()
            except BaseException:
                self.down()
                raise
        started = [self.start_service(USER_SERVICE) for _ in range(users)]
        started += [self.start_service(OCR_SERVICE) for _ in range(ocr)]
        started.append(self.start_service(GATEWAY, gateway_port))
        try:
            self.wait_ready(started)
        except BaseException:
            self.down()
            raise
        return started

    def stop_service(self, proc: Proc) -> bool:
        graceful = self._stop(proc)
        self._forget([proc])
        return graceful

    def _stop(self, proc: Proc) -> bool:
        """SIGTERM and wait (SIGKILL after the grace time); True if it stopped gracefully."""
        pid = read_pid(self.run_dir / f"{proc.service}-{proc.port}.pid")
        graceful = True if pid is None else stop_pid(pid)
        (self.run_dir / f"{proc.service}-{proc.port}.pid").unlink(missing_ok=True)
        return graceful

    def _forget(self, stopped: list[Proc]) -> None:
        gone = {(p.service, p.port) for p in stopped}
        state = self._load()
        state["procs"] = [asdict(p) for p in self.procs() if (p.service, p.port) not in gone]
        self._save(state)

    def down(self, *, keep_nacos: bool = False) -> list[str]:
        """Stop the gateways first, then the services (each deregisters and drains), then Nacos;
        the processes of each step stop together."""
        said = []
        procs = self.procs()
        for step in ([p for p in procs if p.service == GATEWAY], [p for p in procs if p.service != GATEWAY]):
            if not step:
                continue
            with ThreadPoolExecutor(len(step)) as pool:
                graceful = list(pool.map(self._stop, step))
            self._forget(step)
            said += [
                f"stopped {p.service} on :{p.port}{'' if ok else ' (killed)'}"
                for p, ok in zip(step, graceful, strict=True)
            ]
        if self._load().get("prometheus"):
            said += self.monitor().stop()
        if self._load().get("started_nacos") and not keep_nacos:
            said.append(self.nacos.stop())
        self._save({"procs": [], "started_nacos": False})
        return said
