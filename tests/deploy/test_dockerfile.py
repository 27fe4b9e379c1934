"""docker/Dockerfile: one lean stage per service, Python 3.11 base, non-root, models checked at build."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy.deployfiles import (
    MESH_SERVICES,
    ROOT,
    load_compose,
    module_entry_exists,
    module_of,
    parse_dockerfile,
)

sys.path.insert(0, str(ROOT / "docker"))
from requirements import requirements

STAGES = parse_dockerfile()
DOCKERFILE_TEXT = (ROOT / "docker" / "Dockerfile").read_text()
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_targets_exist_on_a_slim_python_311_base() -> None:
    for name in MESH_SERVICES:
        assert name in STAGES, f"no target {name}"
        assert STAGES[name].base.startswith("python:3.11-slim"), STAGES[name].base


@pytest.mark.parametrize("target", sorted(MESH_SERVICES))
def test_entry_command_is_a_module_of_this_project(target: str) -> None:
    stage = STAGES[target]
    assert stage.entrypoint is None, "plain CMD: the app is PID 1 and gets SIGTERM itself"
    assert stage.cmd is not None
    module = module_of(stage.cmd)
    assert module is not None, stage.cmd
    assert module_entry_exists(module), f"`python -m {module}` has no {module}/__main__.py"
    # compose runs the very same command
    assert load_compose()["services"][target]["command"] == stage.cmd


@pytest.mark.parametrize("target", sorted(MESH_SERVICES))
def test_runs_as_non_root_and_binds_all_interfaces(target: str) -> None:
    stage = STAGES[target]
    assert stage.user is not None and stage.user.split(":")[0] not in ("0", "root")
    assert stage.user.split(":")[0].isdigit(), "numeric USER, so runAsNonRoot can verify it"
    assert stage.env["OCR_MESH_HOST"] == "0.0.0.0"
    assert stage.env["OCR_MESH_PORT"] == str(MESH_SERVICES[target])
    assert MESH_SERVICES[target] in stage.expose


@pytest.mark.parametrize("target", sorted(MESH_SERVICES))
def test_healthcheck_uses_python_against_health(target: str) -> None:
    hc = STAGES[target].healthcheck
    assert hc is not None and '"python", "/app/bin/healthcheck.py"' in hc
    script = (ROOT / "docker" / "healthcheck.py").read_text()
    assert "/health" in script and "OCR_MESH_PORT" in script


def test_models_are_checked_at_build_time_and_never_downloaded() -> None:
    runs = " ".join(STAGES["ocr-service"].runs)
    assert "model_paths()" in runs and "inference.pd" in runs
    assert "import cv2, paddle" in runs  # native libraries present in the final image


def test_build_time_model_check_passes_here() -> None:
    """The exact `RUN python -c ...` of the Dockerfile, run in this environment."""
    (check,) = [r for r in STAGES["ocr-service"].runs if "model_paths()" in r]
    assert check.startswith('python -c "') and check.endswith('"')
    code = check[len('python -c "') : -1]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("model ok:") == 3


ROLES = {"gateway": "gateway", "user-service": "users", "ocr-service": "ocr"}
HEAVY = ("paddle", "opencv", "matplotlib", "locust", "onnxruntime", "numpy")


@pytest.mark.parametrize("target", sorted(MESH_SERVICES))
def test_each_target_installs_only_its_role(target: str) -> None:
    """Each service image gets a venv of the shared dependencies + its own extra, nothing else."""
    venv = f"venv-{ROLES[target]}"
    runs = " ".join(STAGES[venv].runs)
    assert "docker/requirements.py pyproject.toml" in " ".join(STAGES["requirements"].runs)
    text = DOCKERFILE_TEXT.split(f"AS {venv}\n", 1)[1].split("\nFROM ", 1)[0]
    assert f"COPY --from=requirements /src/{ROLES[target]}.txt /tmp/requirements.txt" in text
    assert "install --no-compile -r /tmp/requirements.txt" in runs
    assert "--no-deps /wheel/*.whl" in runs
    text = DOCKERFILE_TEXT.split(f"AS {target}\n", 1)[1].split("\nFROM ", 1)[0]
    assert f"COPY --from={venv} /opt/venv /opt/venv" in text


@pytest.mark.parametrize("role", ["gateway", "users"])
def test_light_roles_carry_no_engine_or_tools(role: str) -> None:
    reqs = requirements(PROJECT, [role])
    assert not [r for r in reqs if r.lower().startswith(HEAVY)], reqs


def test_dev_extra_pulls_every_role() -> None:
    every = set(requirements(PROJECT, ["gateway", "users", "ocr", "tools"]))
    dev = set(requirements(PROJECT, ["dev"]))
    assert every <= dev and "pytest" in " ".join(dev)
    with pytest.raises(SystemExit):
        requirements(PROJECT, ["no-such-role"])


def test_both_ignore_files_are_the_same_allow_list() -> None:
    def rules(path: Path) -> list[str]:
        return [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]

    classic, buildkit = ROOT / ".dockerignore", ROOT / "docker" / "Dockerfile.dockerignore"
    assert rules(classic) == rules(buildkit)
    assert "!docker/ca-certificates/" in rules(classic)
    # host CA certificates are copied there at build time, never committed
    assert (ROOT / "docker" / "ca-certificates" / ".gitignore").read_text().splitlines()[1] == "*"
