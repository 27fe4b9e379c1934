"""deploy/k8s: probes, resources, HPA, PDB, grace periods, downward API, config and secrets."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.deployfiles import (
    K8S_DIR,
    MESH_SERVICES,
    interpolate,
    k8s_documents,
    k8s_object,
    load_compose,
    load_yaml,
    module_entry_exists,
    module_of,
    parse_dockerfile,
)

DOCS = k8s_documents()
CONFIG = k8s_object(DOCS, "ConfigMap", "ocr-mesh-config")["data"]


def _deployment(name: str) -> dict[str, Any]:
    return k8s_object(DOCS, "Deployment", name)


def _container(name: str) -> dict[str, Any]:
    (container,) = _deployment(name)["spec"]["template"]["spec"]["containers"]
    return dict(container)


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e for e in container.get("env", [])}


def _port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (match,) = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    return int(match)


def test_kustomization_lists_every_manifest() -> None:
    kust = load_yaml(K8S_DIR / "kustomization.yaml")
    listed = set(kust["resources"])
    on_disk = {p.name for p in K8S_DIR.glob("*.yaml") if p.name != "kustomization.yaml"}
    assert listed == on_disk
    assert kust["namespace"] == "ocr-mesh"
    assert k8s_object(DOCS, "Namespace", "ocr-mesh")
    (gen,) = kust["secretGenerator"]
    assert gen["name"] == "ocr-mesh-secrets" and gen["envs"] == ["secrets.env"]
    assert (K8S_DIR / "secrets.env.example").is_file()
    assert not (K8S_DIR / "secrets.env").exists() or "secrets.env" in _gitignored()


def _gitignored() -> str:
    path = K8S_DIR.parents[1] / ".gitignore"
    return path.read_text() if path.exists() else ""


@pytest.mark.parametrize("name", sorted(MESH_SERVICES))
def test_deployment_runs_the_image_command(name: str) -> None:
    container = _container(name)
    assert container["image"].split(":")[0] == f"ocr-mesh/{name}"
    assert container["command"] == parse_dockerfile()[name].cmd
    module = module_of(container["command"])
    assert module and module_entry_exists(module)


@pytest.mark.parametrize("name", sorted(MESH_SERVICES))
def test_probes_hit_health_on_the_container_port(name: str) -> None:
    container = _container(name)
    env = _env(container)
    assert env["OCR_MESH_PORT"]["value"] == str(MESH_SERVICES[name])
    ports = {p["containerPort"] for p in container["ports"]}
    assert ports == {MESH_SERVICES[name]}
    probes = [k for k in ("startupProbe", "readinessProbe", "livenessProbe") if k in container]
    assert {"readinessProbe", "livenessProbe"} <= set(probes)
    for kind in probes:
        get = container[kind]["httpGet"]
        assert get["path"] == "/health", (name, kind)
        assert _port_number(container, get["port"]) == MESH_SERVICES[name], (name, kind)


def test_ocr_service_has_a_startup_probe_for_the_model_load() -> None:
    probe = _container("ocr-service")["startupProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] >= 60  # model load ~10-15 s


@pytest.mark.parametrize("name", sorted(MESH_SERVICES))
def test_pod_ip_is_advertised_and_config_comes_from_configmap_and_secret(name: str) -> None:
    container = _container(name)
    env = _env(container)
    assert env["OCR_MESH_ADVERTISE_HOST"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert {"configMapRef": {"name": "ocr-mesh-config"}} in container["envFrom"]
    ref = env["OCR_MESH_NACOS_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "ocr-mesh-secrets", "key": "OCR_MESH_NACOS_PASSWORD"}
    assert CONFIG["OCR_MESH_HOST"] == "0.0.0.0"
    assert ":" in CONFIG["OCR_MESH_NACOS_ADDR"]
    # server secrets of the try-out Nacos never reach the services
    assert not any(k.startswith("NACOS_AUTH") for k in env)


@pytest.mark.parametrize("name", sorted(MESH_SERVICES))
def test_grace_period_covers_the_drain(name: str) -> None:
    pod = _deployment(name)["spec"]["template"]["spec"]
    drain = float(CONFIG["OCR_MESH_DRAIN_SECONDS"])
    pre_stop = pod["containers"][0].get("lifecycle", {}).get("preStop", {}).get("exec", {})
    extra = float(pre_stop["command"][-1]) if pre_stop.get("command", [""])[0] == "sleep" else 0.0
    assert pod["terminationGracePeriodSeconds"] >= drain + extra + 5


@pytest.mark.parametrize("name", sorted(MESH_SERVICES))
def test_resources_and_non_root(name: str) -> None:
    pod = _deployment(name)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    res = pod["containers"][0]["resources"]
    assert set(res) == {"requests", "limits"}
    assert {"cpu", "memory"} <= set(res["requests"]) and {"cpu", "memory"} <= set(res["limits"])


def test_ocr_resources_follow_the_measured_figures() -> None:
    res = _container("ocr-service")["resources"]
    assert res["requests"]["cpu"] in ("1", "1000m")  # one engine thread
    assert _mib(res["requests"]["memory"]) >= 1024  # ~0.6 GB after warm-up, more after pages
    assert _mib(res["limits"]["memory"]) >= 3072  # ~1.8 GB after dense pages, with the bound below
    assert _env(_container("ocr-service"))["OCR_MESH_CPU_THREADS"]["value"] == "1"
    assert int(_env(_container("ocr-service"))["OCR_MESH_REC_BATCH_WIDTH"]["value"]) > 0


def test_selectors_match_pod_labels() -> None:
    for name in MESH_SERVICES:
        dep = _deployment(name)
        labels = dep["spec"]["template"]["metadata"]["labels"]
        assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items()
        svc = k8s_object(DOCS, "Service", name)
        assert svc["spec"]["selector"].items() <= labels.items()


def test_hpa_scales_the_ocr_deployment_on_cpu() -> None:
    hpa = k8s_object(DOCS, "HorizontalPodAutoscaler", "ocr-service")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", "ocr-service")
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_pdb_selects_the_ocr_pods() -> None:
    for name in ("ocr-service", "gateway"):
        pdb = k8s_object(DOCS, "PodDisruptionBudget", name)
        labels = _deployment(name)["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert pdb["spec"]["minAvailable"] < _deployment(name)["spec"]["replicas"]


def test_nacos_init_job_and_try_out_nacos() -> None:
    job = k8s_object(DOCS, "Job", "nacos-init")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "/app/bin/nacos_init.py"]
    nacos = k8s_object(DOCS, "StatefulSet", "nacos")
    (server,) = nacos["spec"]["template"]["spec"]["containers"]
    assert server["image"].startswith("nacos/nacos-server:v2.")
    env = _env(server)
    assert env["MODE"]["value"] == "standalone" and env["NACOS_AUTH_ENABLE"]["value"] == "true"
    assert server["readinessProbe"]["httpGet"]["path"] == "/nacos/v1/console/health/readiness"
    svc = k8s_object(DOCS, "Service", "nacos")
    assert {p["port"] for p in svc["spec"]["ports"]} == {8848, 9848}  # HTTP and gRPC (+1000)
    assert CONFIG["OCR_MESH_NACOS_ADDR"].startswith("nacos.ocr-mesh.svc")


def _render(tmp_path: Path) -> list[dict[str, Any]]:
    work = tmp_path / "k8s"
    shutil.copytree(K8S_DIR, work)
    shutil.copy(work / "secrets.env.example", work / "secrets.env")
    docs: list[dict[str, Any]] = []
    for directory in (work, work / "try-nacos"):
        out = subprocess.run(
            ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        docs += [d for d in yaml.safe_load_all(out.stdout) if d]
    return docs


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_renders_and_objects_validate_against_the_api_schema(tmp_path: Path) -> None:
    docs = _render(tmp_path)
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)
    assert "Secret/ocr-mesh-secrets" in kinds and "Deployment/ocr-service" in kinds
    if importlib.util.find_spec("kubernetes_validate") is None:
        pytest.skip("kubernetes-validate is not installed: rendered only")
    import kubernetes_validate

    for doc in docs:
        kubernetes_validate.validate(doc, "1.32", strict=True)


def _mib(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for unit, factor in sorted(units.items(), key=lambda u: -len(u[0])):
        if quantity.endswith(unit):
            return float(quantity[: -len(unit)]) * factor
    return float(quantity) / 2**20


# ------------------------------------------------- the same images and probes as docker compose


def _compose_image(service: str) -> str:
    """The image compose runs for a service, with the default prefix and tag."""
    image = str(load_compose()["services"][service]["image"])
    return interpolate(image, {})


def _pod_containers(kind: str, name: str) -> list[dict[str, Any]]:
    spec = k8s_object(DOCS, kind, name)["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.mark.parametrize("name", sorted(MESH_SERVICES))
def test_same_lean_image_as_compose(name: str) -> None:
    for container in _pod_containers("Deployment", name):
        assert container["image"] == _compose_image(name), (name, container["name"])
    (job,) = _pod_containers("Job", "nacos-init")
    assert (
        job["image"] == _compose_image("nacos-init")
        and job["command"] == load_compose()["services"]["nacos-init"]["command"]
    )


@pytest.mark.parametrize("name", sorted(MESH_SERVICES))
def test_same_probes_user_and_grace_as_compose(name: str) -> None:
    """Compose's healthcheck (healthcheck.py: GET /health on OCR_MESH_PORT) = the k8s probes."""
    service = load_compose()["services"][name]
    assert service["healthcheck"]["test"] == ["CMD", "python", "/app/bin/healthcheck.py"]
    stage = parse_dockerfile()[name]
    container = _container(name)
    for kind in ("readinessProbe", "livenessProbe"):
        get = container[kind]["httpGet"]
        assert get["path"] == "/health"
        assert _port_number(container, get["port"]) == int(stage.env["OCR_MESH_PORT"])
    pod = _deployment(name)["spec"]["template"]["spec"]
    assert str(pod["securityContext"]["runAsUser"]) == (stage.user or "").split(":")[0]
    grace = service["stop_grace_period"]
    assert pod["terminationGracePeriodSeconds"] >= int(grace.rstrip("s"))
    if "startupProbe" in container:
        probe = container["startupProbe"]
        start = int(service["healthcheck"]["start_period"].rstrip("s"))
        assert probe["periodSeconds"] * probe["failureThreshold"] >= start


def _image_here(image: str) -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0


def test_signing_keys_init_container_runs_in_the_real_image(tmp_path: Path) -> None:
    """The init container's shell command, run in the lean image as the pod's user."""
    # Looked at when the test runs, not when it is collected: on a fresh machine the image is
    # built by test_compose_run.py, which runs before this file.
    if not _image_here("ocr-mesh/user-service:0.1.0"):
        pytest.skip("no built user-service image here (docker compose build)")
    (init,) = k8s_object(DOCS, "Deployment", "user-service")["spec"]["template"]["spec"]["initContainers"]
    secret, data = tmp_path / "secret", tmp_path / "data"
    secret.mkdir()
    data.mkdir(mode=0o777)
    data.chmod(0o777)
    (secret / "key-1.pem").write_text("not a real key\n")
    result = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--user",
            "10001:10001",
            "-v",
            f"{secret}:/keys-secret:ro",
            "-v",
            f"{data}:/data",
            "--entrypoint",
            init["command"][0],
            init["image"],
            *init["command"][1:],
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (data / "keys" / "key-1.pem").read_text() == "not a real key\n"
