"""The repository's compose project, really run: free ports, a unique project name, its own env
file with fresh secrets, helpers to look at its containers, and a tear-down that is checked."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.deploy.deployfiles import ROOT
from tests.support import free_base_port

LABEL = "com.docker.compose.project"


def run(args: list[str], timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root; on failure, the error names it with its output."""
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} -> {result.returncode}\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return result


@dataclass
class ComposeProject:
    name: str
    env_file: Path
    admin_password: str
    gateway: str
    nacos: str
    prometheus: str

    @classmethod
    def create(cls, folder: Path) -> ComposeProject:
        gw_port = free_base_port(22080)
        nacos_port = free_base_port(gw_port + 1)
        prometheus_port = free_base_port(nacos_port + 1)
        password = secrets.token_urlsafe(24)
        env = {
            "COMPOSE_FILE": "docker-compose.yml:docker-compose.local.yml",
            "NACOS_AUTH_TOKEN": base64.b64encode(secrets.token_bytes(32)).decode(),
            "NACOS_AUTH_IDENTITY_KEY": secrets.token_hex(12),
            "NACOS_AUTH_IDENTITY_VALUE": secrets.token_urlsafe(24),
            "NACOS_ADMIN_PASSWORD": password,
            "GATEWAY_BIND": "127.0.0.1",
            "GATEWAY_PORT": str(gw_port),
            "NACOS_HTTP_PORT": str(nacos_port),
            "PROMETHEUS_PORT": str(prometheus_port),
            "OCR_REPLICAS": "1",
        }
        env_file = folder / "compose.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        env_file.chmod(0o600)
        return cls(
            name=f"ocrmesh-test-{uuid.uuid4().hex[:8]}",
            env_file=env_file,
            admin_password=password,
            gateway=f"http://127.0.0.1:{gw_port}",
            nacos=f"http://127.0.0.1:{nacos_port}",
            prometheus=f"http://127.0.0.1:{prometheus_port}",
        )

    @property
    def network(self) -> str:
        return f"{self.name}_default"

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        files = ["-f", "docker-compose.yml", "-f", "docker-compose.local.yml"]
        return run(
            ["docker", "compose", "-p", self.name, "--env-file", str(self.env_file), *files, *args], timeout
        )

    def containers(self, service: str) -> list[dict[str, str]]:
        """The running containers of a service: id, name and address on the project network."""
        ids = run(
            [
                "docker",
                "ps",
                "-q",
                "--filter",
                f"label={LABEL}={self.name}",
                "--filter",
                f"label=com.docker.compose.service={service}",
            ]
        ).stdout.split()
        if not ids:
            return []
        out = []
        for info in json.loads(run(["docker", "inspect", *ids]).stdout):
            net = info["NetworkSettings"]["Networks"][self.network]
            out.append({"id": info["Id"], "name": info["Name"].lstrip("/"), "ip": net["IPAddress"]})
        return out

    def network_gateway_ip(self) -> str:
        """The host's own address on the project network (what a host client appears as)."""
        fmt = "{{(index .IPAM.Config 0).Gateway}}"
        return run(["docker", "network", "inspect", "-f", fmt, self.network]).stdout.strip()

    def leftovers(self) -> list[str]:
        """Containers, networks and volumes of this project that still exist."""
        flt = ["--filter", f"label={LABEL}={self.name}"]
        found = run(["docker", "ps", "-aq", *flt]).stdout.split()
        found += run(["docker", "network", "ls", "-q", *flt]).stdout.split()
        found += run(["docker", "volume", "ls", "-q", *flt]).stdout.split()
        return found

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20", timeout=300)

    def nacos_hosts(self, service: str) -> list[str]:
        """Addresses (ip:port) Nacos lists for a service, asked with the admin's token."""
        login = httpx.post(
            f"{self.nacos}/nacos/v1/auth/login",
            data={"username": "nacos", "password": self.admin_password},
            trust_env=False,
            timeout=10,
        )
        login.raise_for_status()
        r = httpx.get(
            f"{self.nacos}/nacos/v1/ns/instance/list",
            params={
                "serviceName": service,
                "groupName": "ocr_back",
                "accessToken": login.json()["accessToken"],
            },
            trust_env=False,
            timeout=10,
        )
        r.raise_for_status()
        return sorted(f"{h['ip']}:{h['port']}" for h in r.json().get("hosts", []))

    def rss_mib(self) -> dict[str, float]:
        """Resident memory of every running container of the project, MiB (docker stats)."""
        ids = run(["docker", "ps", "-q", "--filter", f"label={LABEL}={self.name}"]).stdout.split()
        text = run(["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *ids]).stdout
        out: dict[str, float] = {}
        for line in text.splitlines():
            name, usage = line.split(" ", 1)
            amount = usage.split("/")[0].strip()
            for unit, factor in (("GiB", 1024.0), ("MiB", 1.0), ("KiB", 1 / 1024)):
                if amount.endswith(unit):
                    out[name.removeprefix(self.name + "-")] = float(amount[: -len(unit)]) * factor
        return out


def image_sizes_mb() -> dict[str, float]:
    """Image sizes in MB (10^6 bytes), as `docker images` counts them."""
    names = [
        f"ocr-mesh/{n}" for n in ("base:bookworm", "gateway:0.1.0", "user-service:0.1.0", "ocr-service:0.1.0")
    ]
    sizes = run(["docker", "image", "inspect", "-f", "{{.Size}}", *names]).stdout.split()
    return {n: int(s) / 1e6 for n, s in zip(names, sizes, strict=True)}


def wait_until(check: object, timeout: float, what: str, every: float = 0.5) -> float:
    """Poll check() until it is true; the seconds it took, or an AssertionError naming what."""
    assert callable(check)
    started = time.monotonic()
    last = ""
    while time.monotonic() - started < timeout:
        try:
            if check():
                return time.monotonic() - started
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            last = repr(exc)
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s {last}")
