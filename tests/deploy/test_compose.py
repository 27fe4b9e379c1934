"""docker-compose.yml, read as Compose reads it: services, ports, env, health, scaling, order."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest

from tests.deploy.deployfiles import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    MESH_SERVICES,
    MissingVariable,
    interpolate,
    load_compose,
    load_yaml,
    parse_dockerfile,
    read_env_file,
    service_environment,
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    svc: dict[str, Any] = compose["services"]
    return svc


def test_services_and_images(services: dict[str, Any]) -> None:
    assert set(services) >= {"nacos", "nacos-init", "user-service", "ocr-service", "gateway", "postgres"}
    image = services["nacos"]["image"]
    assert re.fullmatch(r"nacos/nacos-server:v2\.\d+\.\d+", image), image  # pinned 2.x tag
    for name in MESH_SERVICES:
        build = services[name]["build"]
        assert build["dockerfile"] == "docker/Dockerfile" and build["context"] == "."
        assert build["target"] == name
        assert name in services[name]["image"]


def test_nacos_standalone_with_auth_from_env_file(services: dict[str, Any]) -> None:
    env = services["nacos"]["environment"]
    assert env["MODE"] == "standalone"
    assert env["NACOS_AUTH_ENABLE"] == "true"
    for key in ("NACOS_AUTH_TOKEN", "NACOS_AUTH_IDENTITY_KEY", "NACOS_AUTH_IDENTITY_VALUE"):
        assert re.fullmatch(r"\$\{" + key + r":\?.+\}", env[key]), f"{key} must come from .env, required"
    assert "readiness" in " ".join(services["nacos"]["healthcheck"]["test"])
    # console/open API published on loopback only
    assert all(str(p).startswith("127.0.0.1:") for p in services["nacos"]["ports"])


def test_nacos_init_creates_admin_then_services_wait_for_it(services: dict[str, Any]) -> None:
    init = services["nacos-init"]
    assert init["command"] == ["python", "/app/bin/nacos_init.py"]
    assert init["depends_on"]["nacos"]["condition"] == "service_healthy"
    assert init.get("restart") == "no"
    assert init["environment"]["OCR_MESH_NACOS_PASSWORD"].startswith("${NACOS_ADMIN_PASSWORD:?")
    for name in MESH_SERVICES:
        assert services[name]["depends_on"]["nacos-init"]["condition"] == "service_completed_successfully"


def test_gateway_waits_for_healthy_backends_and_publishes_8080(services: dict[str, Any]) -> None:
    gw = services["gateway"]
    assert gw["depends_on"]["user-service"]["condition"] == "service_healthy"
    assert gw["depends_on"]["ocr-service"]["condition"] == "service_healthy"
    (port,) = gw["ports"]
    published, target = interpolate(str(port), {}).rsplit(":", 1)[-2:]
    assert target == "8080" and published.endswith("8080")


def test_ocr_service_can_scale(services: dict[str, Any]) -> None:
    ocr = services["ocr-service"]
    assert "container_name" not in ocr, "a fixed container_name breaks --scale"
    assert "ports" not in ocr, "a published host port collides between replicas"
    assert "hostname" not in ocr
    assert int(interpolate(str(ocr["deploy"]["replicas"]), {})) >= 1
    for name in ("user-service", "gateway"):
        assert "container_name" not in services[name]


def test_mesh_env_binds_all_interfaces_and_finds_nacos(services: dict[str, Any]) -> None:
    example = read_env_file(ENV_EXAMPLE)
    for name, port in MESH_SERVICES.items():
        env = service_environment(name, example)
        assert env["OCR_MESH_HOST"] == "0.0.0.0"
        assert "OCR_MESH_ADVERTISE_HOST" not in env, "compose advertises the container IP (hostname)"
        assert env["OCR_MESH_PORT"] == str(port)
        assert env["OCR_MESH_NACOS_ADDR"] == "nacos:8848"
        assert env["OCR_MESH_NACOS_PASSWORD"] == example["NACOS_ADMIN_PASSWORD"]
        assert env["OCR_MESH_DATA_DIR"] == "/data"


def test_healthchecks_call_health_with_python(services: dict[str, Any]) -> None:
    stages = parse_dockerfile()
    for name in MESH_SERVICES:
        hc = services[name]["healthcheck"]
        assert hc["test"] == ["CMD", "python", "/app/bin/healthcheck.py"]
        assert "curl" not in " ".join(hc["test"])
        # the script asks /health on OCR_MESH_PORT, which both the image and compose set
        assert stages[name].env["OCR_MESH_PORT"] == str(MESH_SERVICES[name])
    assert _seconds(services["ocr-service"]["healthcheck"]["start_period"]) >= 30  # model load


def test_grace_period_covers_drain(services: dict[str, Any]) -> None:
    example = read_env_file(ENV_EXAMPLE)
    for name in MESH_SERVICES:
        drain = float(service_environment(name, example)["OCR_MESH_DRAIN_SECONDS"])
        assert _seconds(services[name]["stop_grace_period"]) > drain


def test_postgres_profile(services: dict[str, Any]) -> None:
    pg = services["postgres"]
    assert pg["profiles"] == ["postgres"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    users = services["user-service"]
    dep = users["depends_on"]["postgres"]
    assert dep == {"condition": "service_healthy", "required": False}
    assert users["environment"]["OCR_MESH_DATABASE_URL"] == "${OCR_MESH_DATABASE_URL:-}"
    # default (no profile): empty URL -> SQLite; the example shows the PostgreSQL URL
    assert service_environment("user-service", read_env_file(ENV_EXAMPLE))["OCR_MESH_DATABASE_URL"] == ""
    assert "postgresql+psycopg://" in ENV_EXAMPLE.read_text()


def test_every_required_variable_is_in_env_example(compose: dict[str, Any]) -> None:
    text = COMPOSE_FILE.read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    example = read_env_file(ENV_EXAMPLE)
    assert required <= set(example), required - set(example)
    for service in compose["services"]:
        service_environment(service, example)  # interpolates without a missing variable
    with pytest.raises(MissingVariable):
        service_environment("nacos", {})


def test_secrets_stay_out_of_the_build_context() -> None:
    text = (COMPOSE_FILE.parent / "docker" / "Dockerfile.dockerignore").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert lines[0] == "*", "allow-list: ignore everything, then name what the images need"
    allowed = [line[1:] for line in lines if line.startswith("!")]
    assert not any(a.startswith((".data", ".env", ".venv", ".git")) for a in allowed)


@pytest.mark.skipif(
    importlib.util.find_spec("check_jsonschema") is None, reason="check-jsonschema is not installed"
)
def test_compose_file_matches_the_compose_spec_schema() -> None:
    schema = ["--builtin-schema", "vendor.compose-spec"]
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *schema, str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


LOCAL_FILE = COMPOSE_FILE.parent / "docker-compose.local.yml"
MONITORING = ("mesh-targets", "prometheus")


def test_prometheus_finds_instances_through_the_bridge_and_the_gateway_reads_it(
    services: dict[str, Any],
) -> None:
    bridge, prometheus = services["mesh-targets"], services["prometheus"]
    example = read_env_file(ENV_EXAMPLE)
    assert bridge["build"]["target"] == "gateway"  # the bridge is mesh_tools, shipped in that image
    assert bridge["command"] == ["python", "-m", "mesh_tools.monitoring"]
    assert service_environment("mesh-targets", example)["OCR_MESH_NACOS_ADDR"] == "nacos:8848"
    assert prometheus["build"]["target"] == "prometheus"
    assert (
        service_environment("prometheus", example)["OCR_MESH_TARGETS_URL"]
        == "http://mesh-targets:9095/targets"
    )
    assert prometheus["ports"] == ["127.0.0.1:${PROMETHEUS_PORT:-9090}:9090"]  # this machine only
    assert prometheus["depends_on"]["mesh-targets"]["condition"] == "service_healthy"
    assert service_environment("gateway", example)["OCR_MESH_PROMETHEUS_URL"] == "http://prometheus:9090"


def test_local_override_swaps_in_the_stand_ins_only() -> None:
    """Where no registry is reachable: the Debian base and the Java Nacos image, nothing else."""
    local = load_yaml(LOCAL_FILE)["services"]
    built = ["nacos-init", *MESH_SERVICES, *MONITORING]
    assert set(local) == {"nacos", *built}
    assert local["nacos"]["image"] == "${OCR_MESH_NACOS_IMAGE:-ocr-mesh/nacos-java:3.1.0}"
    assert local["nacos"]["pull_policy"] == "never"
    assert "healthcheck.py" in " ".join(local["nacos"]["healthcheck"]["test"])
    for name in built:
        assert local[name] == {
            "build": {"args": {"BASE_IMAGE": "${OCR_MESH_BASE_IMAGE:-ocr-mesh/base:bookworm}"}}
        }
    base = load_compose()["services"]
    for name in MESH_SERVICES:
        args = base[name]["build"]["args"]
        assert args["BASE_IMAGE"] == "${OCR_MESH_BASE_IMAGE:-python:3.11-slim-bookworm}"


def _compose_v2() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _compose_v2(), reason="no Docker Compose v2 here (scripts/docker-setup installs it)")
@pytest.mark.parametrize("local", [False, True], ids=["registry", "local"])
def test_docker_compose_config_is_clean(local: bool) -> None:
    """Compose itself reads both variants without an error or a warning."""
    files = ["-f", str(COMPOSE_FILE)] + (["-f", str(LOCAL_FILE)] if local else [])
    result = subprocess.run(
        ["docker", "compose", "--env-file", str(ENV_EXAMPLE), *files, "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")},
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


def _seconds(value: str | int) -> float:
    if isinstance(value, int):
        return float(value)
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", value):
        total += float(amount) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    return total
