"""`ocr-mesh nacos start|stop|status`: a real Nacos server on this machine, auth enabled.

Two real servers are supported (see README, "Nacos"): r-nacos (`cargo install rnacos`) and
the Java Nacos 3.1 server modules from Maven Central. Secrets are generated on first start
into `<data>/nacos/` (git-ignored) and never printed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from mesh.cli.procs import LaunchError, port_free, read_pid, spawn, stop_pid, wait_http
from mesh.settings import NACOS_CREDENTIALS_FILE

RNACOS_VERSION = "0.8.8"


def tools_dir() -> Path:
    """Where built tools are cached across clones (a fresh clone reuses them)."""
    return Path(os.environ.get("OCR_MESH_TOOLS_DIR", Path.home() / ".cache" / "ocr-mesh" / "tools"))


@dataclass(frozen=True)
class NacosServer:
    """One local Nacos server: where it lives and which ports it uses."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8848
    kind: str = "rnacos"

    @property
    def home(self) -> Path:
        return self.data_dir / "nacos"

    @property
    def grpc_port(self) -> int:
        return self.port + 1000

    @property
    def console_port(self) -> int:
        return self.port + 2000

    @property
    def pid_file(self) -> Path:
        return self.home / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "server.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def credentials(self) -> dict[str, str]:
        """The admin credentials, generated once and kept in the data folder (mode 600)."""
        path = self.data_dir / NACOS_CREDENTIALS_FILE
        if path.exists():
            data: dict[str, str] = json.loads(path.read_text())
            return data
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {"username": "nacos", "password": secrets.token_urlsafe(18)}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        return data

    def running_pid(self) -> int | None:
        return read_pid(self.pid_file)

    def ready(self) -> bool:
        try:
            r = httpx.get(f"{self.url}/nacos/v1/console/health/readiness", timeout=2.0, trust_env=False)
        except httpx.HTTPError:
            return False
        return r.status_code == 200

    def start(self, timeout: float = 60.0) -> str:
        """Start the server unless it already runs; wait until ready and logins work."""
        if self.running_pid() and self.ready():
            return f"Nacos ({self.kind}) already running at {self.url}"
        for port in (self.port, self.grpc_port, self.console_port):
            if not port_free(self.host, port):
                raise LaunchError(
                    f"port {port} on {self.host} is taken by another program; "
                    f"stop it or set OCR_MESH_NACOS_PORT to another base port"
                )
        binary = ensure_rnacos()
        creds = self.credentials()
        (self.home / "data").mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "RNACOS_ENV_FILE": str(self.home / "rnacos.env"),
            "RNACOS_HTTP_PORT": str(self.port),
            "RNACOS_GRPC_PORT": str(self.grpc_port),
            "RNACOS_HTTP_CONSOLE_PORT": str(self.console_port),
            "RNACOS_SDK_HOST": self.host,
            "RNACOS_CONSOLE_HOST": self.host,
            "RNACOS_DATA_DIR": str(self.home / "data"),
            "RNACOS_ENABLE_OPEN_API_AUTH": "true",
            "RNACOS_ENABLE_NO_AUTH_CONSOLE": "false",
            "RNACOS_INIT_ADMIN_USERNAME": creds["username"],
            "RNACOS_INIT_ADMIN_PASSWORD": creds["password"],
            "RNACOS_HTTP_WORKERS": "2",
            "RUST_LOG": "warn",
        }
        (self.home / "rnacos.env").touch()
        proc = spawn([str(binary)], log=self.log_file, pid_file=self.pid_file, env=env, cwd=self.home)
        wait_http(f"{self.url}/nacos/v1/console/health/readiness", timeout, proc, self.log_file)
        self.login()
        where = f"{self.url}, console on :{self.console_port}"
        return f"Nacos ({self.kind} {RNACOS_VERSION}, pid {proc.pid}) ready at {where}"

    def login(self) -> str:
        """An access token for the admin; proves auth is on and the password works."""
        creds = self.credentials()
        r = httpx.post(
            f"{self.url}/nacos/v1/auth/login",
            data={"username": creds["username"], "password": creds["password"]},
            timeout=5.0,
            trust_env=False,
        )
        if r.status_code != 200 or "accessToken" not in r.text:
            raise LaunchError(f"Nacos refused the admin login ({r.status_code}); see {self.log_file}")
        return str(r.json()["accessToken"])

    def stop(self) -> str:
        pid = self.running_pid()
        if pid is None:
            return "Nacos is not running"
        stop_pid(pid, timeout=15)
        self.pid_file.unlink(missing_ok=True)
        return f"Nacos (pid {pid}) stopped"

    def status(self) -> str:
        pid = self.running_pid()
        if pid is None:
            return f"Nacos is not running (no live pid in {self.pid_file})"
        state = "ready" if self.ready() else "not ready"
        return f"Nacos ({self.kind}, pid {pid}) {state} at {self.url}"


def ensure_rnacos() -> Path:
    """The r-nacos binary: on PATH, in the tools cache, or built there with cargo (once)."""
    cached = tools_dir() / f"rnacos-{RNACOS_VERSION}" / "bin" / "rnacos"
    if cached.exists():
        return cached
    cargo = shutil.which("cargo")
    if cargo is None:
        raise LaunchError("r-nacos is not installed and cargo is missing: install Rust (rustup) first")
    print(f"building r-nacos {RNACOS_VERSION} with cargo into {cached.parent.parent} (once; takes minutes)")
    result = subprocess.run(
        [
            cargo,
            "install",
            "rnacos",
            "--locked",
            "--version",
            RNACOS_VERSION,
            "--root",
            str(cached.parent.parent),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or not cached.exists():
        tail = "\n  ".join(result.stderr.splitlines()[-10:])
        raise LaunchError(f"cargo install rnacos failed (download or build error):\n  {tail}")
    return cached
