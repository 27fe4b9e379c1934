"""SLOW: each image's CMD, run outside Docker with the environment docker-compose.yml gives it.

No Docker engine here, so this is the closest real run of the container path: for each
service, the Dockerfile target's CMD (`python -m ...`) is started with the image's ENV plus
the service's `environment:` from docker-compose.yml (variables taken from .env.example),
with only what must differ on this machine overridden: port, data folder, Nacos address and
the real admin password of a local real Nacos server (Java Nacos 3.1 via NacosServer),
and the web folder (the image copies web/ to /app/web).

- user-service keeps compose's default: OCR_MESH_HOST=0.0.0.0 and no advertise host, so it
  registers the IP its hostname resolves to (in a container: the container's IP);
- gateway and one ocr-service get OCR_MESH_ADVERTISE_HOST as Kubernetes sets it
  (status.podIP), here 127.0.0.1.

Then: /health answers 200 and docker/healthcheck.py exits 0; Nacos lists each instance at
the advertised address; the gateway routes a login and an OCR request to those addresses;
docker/nacos_init.py succeeds against the real server; SIGTERM deregisters and exits 0.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mesh_tools.launcher.procs import next_free_port
from mesh_tools.nacos_server.server import NacosServer
from tests.deploy.deployfiles import (
    ENV_EXAMPLE,
    ROOT,
    parse_dockerfile,
    read_env_file,
    service_environment,
)
from tests.support import free_base_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NACOS_NAMES = {"user-service": "user-service", "ocr-service": "ocr-service", "gateway": "ocr-gateway"}
LOOPBACK = "127.0.0.1"


@dataclass
class Started:
    service: str
    proc: subprocess.Popen[bytes]
    port: int
    env: dict[str, str]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, lines: int = 25) -> str:
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return f"\n--- last lines of {self.service} log ---\n" + "\n".join(text)


def image_command_env(
    service: str, nacos: NacosServer, data_dir: Path, port: int, advertise: str | None
) -> dict[str, str]:
    """The image's ENV + compose's environment for the service + local overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCR_MESH_")}
    image_env = parse_dockerfile()[service].env
    env.update({k: v for k, v in image_env.items() if k.startswith("OCR_MESH_")})
    compose_env = service_environment(service, read_env_file(ENV_EXAMPLE))
    assert compose_env["OCR_MESH_HOST"] == "0.0.0.0"
    env.update(compose_env)
    env.update(
        {
            "OCR_MESH_PORT": str(port),
            "OCR_MESH_DATA_DIR": str(data_dir),
            "OCR_MESH_NACOS_ADDR": f"127.0.0.1:{nacos.port}",
            "OCR_MESH_NACOS_PASSWORD": nacos.credentials()["password"],
            "OCR_MESH_WEB_DIR": str(ROOT / "web"),
            "PYTHONPATH": str(ROOT),
        }
    )
    if advertise is not None:
        env["OCR_MESH_ADVERTISE_HOST"] = advertise
    return env


def start(service: str, nacos: NacosServer, tmp: Path, advertise: str | None) -> Started:
    cmd = list(parse_dockerfile()[service].cmd or [])
    assert cmd[:2] == ["python", "-m"], cmd
    cmd[0] = sys.executable  # the image's `python` is its venv's; here, this venv's
    port = next_free_port("0.0.0.0", 24000 + 100 * list(NACOS_NAMES).index(service))
    data_dir = tmp / service
    data_dir.mkdir()
    env = image_command_env(service, nacos, data_dir, port, advertise)
    log = tmp / f"{service}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=data_dir, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Started(service, proc, port, env, log)


def wait_healthy(s: Started, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=3.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            assert s.proc.poll() is None, f"{s.service} exited with {s.proc.returncode}{s.tail()}"
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{s.url}/health").status_code == 200:
                    return
            time.sleep(0.3)
    raise AssertionError(f"{s.service} not healthy within {timeout:.0f} s{s.tail()}")


def stop(s: Started, timeout: float = 60.0) -> int | None:
    if s.proc.poll() is None:
        s.proc.send_signal(signal.SIGTERM)
        try:
            s.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            s.proc.kill()
            s.proc.wait(10)
            return None
    return s.proc.returncode


def nacos_hosts(nacos: NacosServer, name: str) -> list[dict[str, object]]:
    return nacos.instances(name)


@pytest.fixture(scope="module")
def nacos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NacosServer]:
    data_dir = tmp_path_factory.mktemp("deploy-nacos")
    port = free_base_port(28848, (-1000, 0, 1000, 1001, 2000))
    server = NacosServer(data_dir=data_dir, port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mesh(nacos: NacosServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Started]]:
    tmp = tmp_path_factory.mktemp("deploy-mesh")
    started: dict[str, Started] = {}
    try:
        # compose order: user-service and ocr-service, then the gateway once both are healthy
        started["user-service"] = start("user-service", nacos, tmp, advertise=None)
        started["ocr-service"] = start("ocr-service", nacos, tmp, advertise=LOOPBACK)
        wait_healthy(started["user-service"], 120)
        wait_healthy(started["ocr-service"], 300)  # model load + warm-up
        started["gateway"] = start("gateway", nacos, tmp, advertise=LOOPBACK)
        wait_healthy(started["gateway"], 120)
        yield started
    finally:
        for s in reversed(list(started.values())):
            stop(s)


def test_nacos_init_script_against_a_real_nacos(nacos: NacosServer) -> None:
    script = ROOT / "docker" / "nacos_init.py"
    base = {k: v for k, v in os.environ.items() if not k.startswith("OCR_MESH_")}
    env = base | {
        "OCR_MESH_NACOS_ADDR": f"127.0.0.1:{nacos.port}",
        "OCR_MESH_NACOS_PASSWORD": nacos.credentials()["password"],
        "NACOS_INIT_TIMEOUT": "60",
    }
    ok = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "admin user: exists" in ok.stdout and "login as 'nacos' works" in ok.stdout
    assert nacos.credentials()["password"] not in ok.stdout + ok.stderr
    env |= {"OCR_MESH_NACOS_PASSWORD": "not-the-password", "NACOS_INIT_LOGIN_RETRY": "1"}
    bad = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "refused the login" in bad.stdout + bad.stderr


def test_each_image_command_comes_up_healthy(mesh: dict[str, Started]) -> None:
    for s in mesh.values():
        r = httpx.get(f"{s.url}/health", timeout=5, trust_env=False)
        assert r.status_code == 200, r.text
        check = subprocess.run(
            [sys.executable, str(ROOT / "docker" / "healthcheck.py")],
            env=s.env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert check.returncode == 0, check.stderr


def test_each_registers_its_advertised_address(nacos: NacosServer, mesh: dict[str, Started]) -> None:
    # what compose relies on: host 0.0.0.0 and no advertise host -> the hostname's IP
    fallback = socket.gethostbyname(socket.gethostname())
    expected = {"user-service": fallback, "ocr-service": LOOPBACK, "gateway": LOOPBACK}
    for service, s in mesh.items():
        hosts = nacos_hosts(nacos, NACOS_NAMES[service])
        mine = [h for h in hosts if h["port"] == s.port]
        assert len(mine) == 1, (service, hosts)
        assert mine[0]["ip"] == expected[service], (service, mine[0])
        assert mine[0]["healthy"] is True


def test_gateway_routes_to_the_registered_instances(mesh: dict[str, Started]) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (360, 80), "white")
    ImageDraw.Draw(img).text((10, 20), "OCR MESH 2026", fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    creds = {"username": "deploy_user", "password": "long-enough-secret-9"}
    with httpx.Client(base_url=mesh["gateway"].url, timeout=60, trust_env=False) as c:
        assert c.post("/api/auth/register", json=creds).status_code == 201
        login = c.post("/api/auth/login", json=creds)
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        r = c.post("/api/ocr", files={"image": ("x.png", buf.getvalue(), "image/png")}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.headers["X-Served-By"] == f"{LOOPBACK}:{mesh['ocr-service'].port}"


def test_sigterm_deregisters_then_exits_cleanly(nacos: NacosServer, mesh: dict[str, Started]) -> None:
    for service in ("gateway", "ocr-service", "user-service"):
        s = mesh[service]
        assert stop(s) == 0, f"{service} did not exit 0 on SIGTERM{s.tail()}"
        deadline = time.monotonic() + 15  # the list may trail the deregistration a moment
        while [h for h in nacos_hosts(nacos, NACOS_NAMES[service]) if h["port"] == s.port]:
            assert time.monotonic() < deadline, f"{service} still registered after it stopped"
            time.sleep(0.5)
