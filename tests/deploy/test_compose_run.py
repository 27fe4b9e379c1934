"""SLOW, real Docker: `docker compose up` of this repository, used through the containerised gateway.

scripts/docker-setup --local makes what is needed (dockerd, Compose v2, the Debian base image,
the Java Nacos image); the images are built with Docker's cache; the project runs under a unique
name on free ports, with fresh secrets, and is torn down with its volumes at the end. Figures
(image sizes, build and start times, memory) are printed: run with -s to see them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.deploy.composerun import ComposeProject, image_sizes_mb, run, wait_until
from tests.faults.support import Load, gateway_instances, login, small_image
from tests.support import render_lines

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timeout(3600)]

PASSWORD = "compose-test-secret-1"
USERS = [f"compose-user-{i}" for i in range(3)]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeProject]:
    started = time.monotonic()
    run(["scripts/docker-setup", "--local"], timeout=2400)
    print(f"\n[compose] docker-setup --local: {time.monotonic() - started:.0f} s")
    p = ComposeProject.create(tmp_path_factory.mktemp("compose"))
    config = p.compose("config", "--quiet")
    assert config.stderr == "", config.stderr  # no warning (test_compose.py skips before the set-up)
    try:
        started = time.monotonic()
        p.compose("build", timeout=2400)
        print(
            f"[compose] build (Docker cache reused when nothing changed): {time.monotonic() - started:.0f} s"
        )
        sizes = image_sizes_mb()
        base = sizes.pop("ocr-mesh/base:bookworm")
        print(
            f"[compose] base image {base:.0f} MB; above it: "
            + ", ".join(f"{n} +{s - base:.0f} MB" for n, s in sizes.items())
        )
        started = time.monotonic()
        p.compose("up", "-d", timeout=900)
        wait_until(lambda: _registers(p.gateway, USERS[0]), 300, "the first register + login")
        print(f"[compose] up -> first login through the gateway: {time.monotonic() - started:.0f} s")
        yield p
    finally:
        p.down()


def _ocr(gateway: str, token: str, image: bytes) -> httpx.Response:
    return httpx.post(
        f"{gateway}/api/ocr",
        headers={"Authorization": f"Bearer {token}"},
        files={"image": ("card.png", image, "image/png")},
        trust_env=False,
        timeout=120,
    )


def _registers(gateway: str, username: str) -> bool:
    """Register + log in; False while the gateway or its backends are still coming up."""
    try:
        return bool(login(gateway, username, PASSWORD))
    except Exception:  # the launcher's LaunchError after its own 15 s of 503s
        return False


def _logs_in(gateway: str, username: str) -> bool:
    r = httpx.post(
        f"{gateway}/api/auth/login",
        json={"username": username, "password": PASSWORD},
        trust_env=False,
        timeout=30,
    )
    if r.status_code in (502, 503, 504):
        return False
    assert r.status_code == 200, (username, r.status_code, r.text[:200])
    return True


def test_register_login_and_read_chinese_and_english(project: ComposeProject) -> None:
    tokens = [login(project.gateway, name, PASSWORD) for name in USERS]
    r = _ocr(project.gateway, tokens[0], render_lines(["你好，世界", "Hello OCR 42"]))
    assert r.status_code == 200, r.text[:300]
    text = r.json()["text"].replace(" ", "")
    assert "你好" in text and "世界" in text and "HelloOCR42" in text, text
    print(f"[compose] RSS per container (MiB): {project.rss_mib()}")


SERVICE_PORTS = [("gateway", 8080), ("user-service", 8001), ("ocr-service", 8101)]


def test_nacos_lists_every_service_at_its_container_address(project: ComposeProject) -> None:
    for nacos_name, service, port in [
        ("ocr-gateway", "gateway", 8080),
        ("user-service", "user-service", 8001),
        ("ocr-service", "ocr-service", 8101),
    ]:
        want = sorted(f"{c['ip']}:{port}" for c in project.containers(service))
        assert want, f"no running {service} container"
        wait_until(lambda n=nacos_name, w=want: project.nacos_hosts(n) == w, 30, f"Nacos listing {want}")


def test_prometheus_scrapes_every_container_it_finds_through_nacos(project: ComposeProject) -> None:
    def scraped() -> set[str]:
        answer = httpx.get(
            f"{project.prometheus}/api/v1/targets", params={"state": "active"}, trust_env=False
        )
        active = answer.json()["data"]["activeTargets"]
        return {
            t["labels"]["instance"]
            for t in active
            if t["labels"]["job"] == "ocr-mesh" and t["health"] == "up"
        }

    want = {f"{c['ip']}:{port}" for service, port in SERVICE_PORTS for c in project.containers(service)}
    wait_until(lambda: want <= scraped(), 60, f"Prometheus scraping {sorted(want)}")
    token = login(project.gateway, USERS[0], PASSWORD)
    charts = httpx.get(
        f"{project.gateway}/api/monitoring/charts",
        params={"window": "5m"},
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
    )
    assert charts.status_code == 200, charts.text
    rules = httpx.get(f"{project.prometheus}/api/v1/rules", trust_env=False).json()["data"]["groups"]
    assert {g["name"] for g in rules} == {"ocr-mesh-series", "ocr-mesh-alerts"}  # the same rules file


def test_scale_ocr_to_three_and_all_three_serve(project: ComposeProject) -> None:
    token = login(project.gateway, USERS[0], PASSWORD)
    started = time.monotonic()
    project.compose("up", "-d", "--no-build", "--no-recreate", "--scale", "ocr-service=3")
    ips = {c["ip"] for c in project.containers("ocr-service")}
    assert len(ips) == 3, ips

    def in_rotation() -> bool:
        listed = gateway_instances(project.gateway, token)
        seen = {i["host"] for i in listed if i["in_gateway"] and not i["ejected"]}
        return seen == ips

    wait_until(in_rotation, 180, "three OCR nodes in the gateway's rotation")
    print(f"[compose] scale 1 -> 3 OCR nodes in rotation: {time.monotonic() - started:.0f} s")
    with Load(project.gateway, token, small_image(), concurrency=3, max_requests=24) as load:
        wait_until(lambda: len(load.outcomes) >= 24, 180, "24 requests")
    assert not load.failures(), load.summary()
    served = {o.served_by.rsplit(":", 1)[0] for o in load.outcomes}
    assert served == ips, load.summary()


def test_docker_kill_of_one_ocr_node_under_load(project: ComposeProject) -> None:
    """Concurrency 8: not one client request fails; the node leaves the rotation within 1 s."""
    project.compose("up", "-d", "--no-build", "--no-recreate", "--scale", "ocr-service=3")
    token, watcher = login(project.gateway, USERS[1], PASSWORD), login(project.gateway, USERS[2], PASSWORD)
    victim = project.containers("ocr-service")[0]
    wait_until(
        lambda: victim["ip"] in {i["host"] for i in gateway_instances(project.gateway, watcher)},
        120,
        "victim listed",
    )
    # think 0.5 s: at most ~16 requests/s from this one user, under the gateway's default per-user
    # rate limit (20/s) even when the machine is idle and an OCR answer takes 0.15 s
    polls: list[tuple[float, float, str]] = []  # (sent, answered) after the kill, and what was seen
    with (
        Load(project.gateway, token, small_image(), concurrency=8, think=0.5, max_seconds=120) as load,
        httpx.Client(headers={"Authorization": f"Bearer {watcher}"}, timeout=10, trust_env=False) as client,
    ):
        time.sleep(5)
        killed_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        kill_started = time.monotonic()
        run(["docker", "kill", victim["id"]])
        kill_took = time.monotonic() - kill_started

        def gone() -> bool:
            sent = time.monotonic() - kill_started
            listed = client.get(f"{project.gateway}/api/instances").json()["services"]["ocr-service"]
            mine = [i for i in listed if i["host"] == victim["ip"]]
            polls.append((sent, time.monotonic() - kill_started, repr(mine)))
            # an entry only Nacos still lists (in_gateway false) is out of the rotation too
            return not any(i["in_gateway"] and not i["ejected"] for i in mine)

        wait_until(gone, 30, "the killed node leaving the rotation", every=0.05)
        left = polls[-1][1] - kill_took  # from the node's death: `docker kill` returns once it is sent
        time.sleep(8)
    print(
        f"[compose] docker kill under load: {load.summary()}; `docker kill` took {kill_took:.2f} s; "
        f"left the rotation {left:.2f} s after that"
    )
    print("[compose] the last polls (sent, answered: s from the kill's start; the victim's entries):")
    for sent, answered, seen in polls[-12:]:
        print(f"  {sent:6.3f} {answered:6.3f} {seen}")
    logs = project.compose("logs", "--timestamps", "--no-log-prefix", "gateway").stdout.splitlines()
    about = [line for line in logs if victim["ip"] in line][-8:]
    print(f"[compose] killed at {killed_at}; the gateway on it:", *about, sep="\n  ")
    assert load.outcomes and not load.failures(), load.summary()
    assert left <= 1.0, f"the killed node stayed in rotation {left:.2f} s"


def test_login_throttle_sees_the_real_client_addresses(project: ComposeProject) -> None:
    """A failed login from the host and one from another container are counted per real client."""
    wrong = {"username": USERS[0], "password": "wrong-password-1"}
    r = httpx.post(f"{project.gateway}/api/auth/login", json=wrong, trust_env=False, timeout=30)
    assert r.status_code == 401, r.text[:200]
    sidecar = (
        "import json, socket, urllib.request, urllib.error\n"
        "req = urllib.request.Request('http://gateway:8080/api/auth/login', method='POST',"
        f" data=json.dumps({wrong!r}).encode(), headers={{'content-type': 'application/json'}})\n"
        "try:\n    urllib.request.urlopen(req, timeout=30)\n"
        "except urllib.error.HTTPError as e:\n    print(e.code)\n"
        "print(socket.gethostbyname(socket.gethostname()))\n"
    )
    out = run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            project.network,
            "--entrypoint",
            "python",
            "ocr-mesh/gateway:0.1.0",
            "-c",
            sidecar,
        ]
    ).stdout.split()
    assert out[0] == "401", out
    sidecar_ip = out[1]
    query = (
        "import sqlite3; db = sqlite3.connect('/data/users.db'); "
        "print('\\n'.join(k for (k,) in db.execute('select key from login_failures')))"
    )
    keys = set(project.compose("exec", "-T", "user-service", "python", "-c", query).stdout.split())
    gateway_ip = project.containers("gateway")[0]["ip"]
    assert f"addr:{project.network_gateway_ip()}" in keys, keys  # the host, as the network sees it
    assert f"addr:{sidecar_ip}" in keys, keys
    assert f"addr:{gateway_ip}" not in keys, keys  # not the proxy in front of user-service


def test_users_survive_restart_and_down_up(project: ComposeProject) -> None:
    project.compose("restart", "user-service")
    for name in USERS:
        wait_until(lambda n=name: _logs_in(project.gateway, n), 120, f"{name} logging in after the restart")
    project.compose("down", "--timeout", "40", timeout=300)
    started = time.monotonic()
    project.compose("up", "-d", "--no-build", timeout=900)
    for name in USERS:
        wait_until(lambda n=name: _logs_in(project.gateway, n), 300, f"{name} logging in after down + up")
    print(f"[compose] down + up (volumes kept) -> every user logs in: {time.monotonic() - started:.0f} s")


def test_tear_down_leaves_nothing(project: ComposeProject) -> None:
    assert project.leftovers(), "the project should be running before its tear-down"
    project.down()
    assert project.leftovers() == []
