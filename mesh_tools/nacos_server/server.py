"""`ocr-mesh nacos start|stop|status`: a real Nacos server on this machine, auth enabled.

Two real servers are supported (README, "Nacos: which server and why"): the Java Nacos 3.1
server from Maven Central and r-nacos from crates.io. Secrets are generated on first start
into `<data>/nacos/credentials.json` (mode 600, git-ignored) and never printed.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from mesh.nacos_http import NacosApi, NacosHttpError, admin_state, read_hosts, read_login
from mesh.names import NACOS_GROUP
from mesh.settings import NACOS_CREDENTIALS_FILE
from mesh_tools.launcher.procs import LaunchError, port_free, read_pid, spawn, stop_pid, wait_http
from mesh_tools.nacos_server.backends import BACKENDS, Backend

DEFAULT_KIND = "java"


def default_kind() -> str:
    """OCR_MESH_NACOS_KIND if set, else the default server."""
    return os.environ.get("OCR_MESH_NACOS_KIND", DEFAULT_KIND)


def _new_credentials() -> dict[str, str]:
    return {
        "username": "nacos",
        "password": secrets.token_urlsafe(18),
        "token_secret": base64.b64encode(secrets.token_bytes(32)).decode(),
        "identity_key": secrets.token_hex(12),
        "identity_value": secrets.token_hex(24),
    }


@dataclass(frozen=True)
class NacosServer:
    """One local Nacos server: which kind, where it lives and which ports it uses.

    `members` ("host:port" of every node, this one included) makes it one node of a cluster:
    it gets its own home and pid file, and shares the data folder's credentials with the others.
    """

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8848
    kind: str = DEFAULT_KIND
    members: tuple[str, ...] = ()

    @property
    def backend(self) -> Backend:
        if self.kind not in BACKENDS:
            raise LaunchError(f"unknown Nacos kind {self.kind!r}; use one of {', '.join(BACKENDS)}")
        return BACKENDS[self.kind]

    @property
    def home(self) -> Path:
        return self.data_dir / "nacos" / (f"{self.kind}-{self.port}" if self.members else self.kind)

    @property
    def console_port(self) -> int:
        return self.port + 2000

    @property
    def pid_file(self) -> Path:
        return self.home / "server.pid" if self.members else self.data_dir / "nacos" / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "server.out"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def credentials(self) -> dict[str, str]:
        """The admin credentials and server secrets, generated once (mode 600)."""
        path = self.data_dir / NACOS_CREDENTIALS_FILE
        if path.exists():
            data: dict[str, str] = json.loads(path.read_text())
            return data
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = _new_credentials()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        return data

    def running_pid(self) -> int | None:
        return read_pid(self.pid_file)

    def ready(self) -> bool:
        try:
            r = httpx.get(f"{self.url}{self.backend.readiness_path}", timeout=2.0, trust_env=False)
        except httpx.HTTPError:
            return False
        return r.status_code == 200

    def _check_ports(self) -> None:
        for port in self.backend.ports(self):
            if not port_free(self.host, port):
                raise LaunchError(
                    f"port {port} on {self.host} is taken by another program; Nacos ({self.kind}) "
                    f"needs it. Stop that program or set OCR_MESH_NACOS_PORT to another base port"
                )

    def launch(self) -> subprocess.Popen[bytes]:
        """Spawn the server (ports checked, installed if needed) without waiting for it."""
        self._check_ports()
        self.backend.install()
        args, env = self.backend.command(self)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        return spawn(args, log=self.log_file, pid_file=self.pid_file, env=env, cwd=self.home)

    def start(self, timeout: float = 120.0) -> str:
        """Start the server unless it already runs; wait until ready and the admin can log in."""
        if self.running_pid() and self.ready():
            return f"Nacos ({self.kind}) already running at {self.url}"
        self._check_ports()
        self.backend.install()  # before the clock: the first build takes minutes
        started = time.monotonic()
        proc = self.launch()
        try:
            wait_http(f"{self.url}{self.backend.readiness_path}", timeout, proc, self.log_file)
        except LaunchError as exc:
            if "exited" not in str(exc):
                raise
            # Java Nacos exits when its embedded Derby store does not open in time, which a
            # loaded 2-core machine can cause right after a stop; a second start opens it.
            print(f"Nacos exited while starting; starting it once more ({str(exc).splitlines()[0]})")
            proc = self.launch()
            wait_http(f"{self.url}{self.backend.readiness_path}", timeout, proc, self.log_file)
        self._ensure_admin()
        self.login(retry_for=30.0)
        took = time.monotonic() - started
        return (
            f"Nacos ({self.kind} {self.backend.version}, pid {proc.pid}) ready in {took:.1f} s at "
            f"{self.url}, console on :{self.console_port}"
        )

    @property
    def api(self) -> NacosApi:
        return NacosApi(self.url)

    def _send(self, request: httpx.Request, timeout: float = 10.0) -> httpx.Response:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            return client.send(request)

    def _ensure_admin(self, retry_for: float = 0.0) -> None:
        """Java Nacos has no default user since 2.4: create the admin once through the API."""
        if self.kind != "java":
            return
        deadline = time.monotonic() + retry_for
        while True:
            try:
                admin_state(self._send(self.api.create_admin(self.credentials()["password"])))
                return
            except (httpx.HTTPError, NacosHttpError) as e:  # a cluster's first raft write may time out
                problem = repr(e)
            if time.monotonic() > deadline:
                raise LaunchError(f"could not create the Nacos admin ({problem}); see {self.log_file}")
            time.sleep(1.0)

    def login(self, retry_for: float = 0.0) -> str:
        """An access token for the admin; proves auth is on and the password works."""
        creds = self.credentials()
        deadline = time.monotonic() + retry_for
        while True:
            try:
                return read_login(self._send(self.api.login(creds["username"], creds["password"]), 5.0)).token
            except NacosHttpError as exc:
                if time.monotonic() > deadline:
                    raise LaunchError(f"{exc}; see {self.log_file}") from exc
            time.sleep(0.5)

    def instances(
        self, service: str, group: str = NACOS_GROUP, token: str | None = None
    ) -> list[dict[str, object]]:
        """The instances Nacos itself lists for a service (HTTP open API, admin token)."""
        return read_hosts(self._send(self.api.instance_list(service, token or self.login(), group), 5.0))

    def update_instance(
        self, service: str, ip: str, port: int, *, weight: float | None = None, enabled: bool | None = None
    ) -> None:
        """Set an instance's weight or enabled flag as an operator does in the console."""
        request = self.api.update_instance(service, ip, port, self.login(), weight=weight, enabled=enabled)
        answer = self._send(request, 5.0)
        if answer.status_code != 200:
            raise NacosHttpError(
                f"Nacos refused the instance update ({answer.status_code}): {answer.text[:200]}"
            )

    def stop(self) -> str:
        pid = self.running_pid()
        if pid is None:
            return "Nacos is not running"
        stop_pid(pid, timeout=20)
        self.pid_file.unlink(missing_ok=True)
        return f"Nacos (pid {pid}) stopped"

    def status(self) -> str:
        pid = self.running_pid()
        if pid is None:
            return f"Nacos is not running (no live pid in {self.pid_file})"
        state = "ready" if self.ready() else "not ready"
        return f"Nacos ({self.kind}, pid {pid}) {state} at {self.url}"


def start_cluster(nodes: list[NacosServer], timeout: float = 150.0) -> float:
    """Start the nodes of one cluster together (each waits for a raft majority before it is
    ready), create the admin once (raft replicates it), and wait until every node accepts the
    admin login. Returns the seconds this took; stop the nodes with `stop()` even on failure."""
    started = time.monotonic()
    procs = [node.launch() for node in nodes]
    for node, proc in zip(nodes, procs, strict=True):
        left = max(1.0, started + timeout - time.monotonic())
        wait_http(f"{node.url}{node.backend.readiness_path}", left, proc, node.log_file)
    nodes[0]._ensure_admin(retry_for=30.0)
    for node in nodes:
        node.login(retry_for=60.0)  # each node's user cache refreshes on its own schedule
    return time.monotonic() - started
