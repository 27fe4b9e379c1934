"""Readers for the container files: docker-compose.yml, .env.example, docker/Dockerfile, deploy/k8s.

Small and strict on purpose: the tests parse the files the way Docker Compose, BuildKit
and Kubernetes read them, for the parts the project uses.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
K8S_DIR = ROOT / "deploy" / "k8s"

# Compose: the mesh services, the image target each is built from, its port.
MESH_SERVICES = {"user-service": 8001, "ocr-service": 8101, "gateway": 8080}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(COMPOSE_FILE)
    return data


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as Compose reads an env file (comments and blanks skipped)."""
    env: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|\$\$")


class MissingVariable(KeyError):
    pass


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose variable interpolation: ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e}, ${V:+a}, $$."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group("name"), m.group("op"), m.group("arg") or ""
        present = name in env
        val = env.get(name, "")
        if op is None:
            return val
        unset = not present or (op.startswith(":") and val == "")
        if op.endswith("-"):
            return arg if unset else val
        if op.endswith("?"):
            if unset:
                raise MissingVariable(f"{name}: {arg}")
            return val
        return "" if unset else arg  # ':+' / '+'

    return _VAR.sub(sub, value)


def service_environment(service: str, env: dict[str, str]) -> dict[str, str]:
    """The environment Compose gives a service (its `environment:`, interpolated)."""
    spec = load_compose()["services"][service]
    raw = spec.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {k: interpolate(str(v), env) for k, v in raw.items() if v is not None}


# ------------------------------------------------------------------------- Dockerfile


@dataclass
class Stage:
    name: str
    base: str
    env: dict[str, str] = field(default_factory=dict)
    cmd: list[str] | None = None
    entrypoint: list[str] | None = None
    user: str | None = None
    healthcheck: str | None = None
    expose: list[int] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # blank and comment lines, also inside a continuation (as BuildKit)
        # BuildKit strips leading blanks on the first line only, and drops the trailing
        # backslash (and blanks after it) of each continued line without adding a space.
        part = line.lstrip() if not buf else line.rstrip()
        if part.rstrip().endswith("\\"):
            buf += part.rstrip()[:-1]
            continue
        buf += part.rstrip()
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def _env_pairs(args: str) -> dict[str, str]:
    parts = shlex.split(args)
    if len(parts) >= 2 and "=" not in parts[0]:
        return {parts[0]: " ".join(parts[1:])}
    return dict(p.split("=", 1) for p in parts)


def _expand(value: str, env: dict[str, str]) -> str:
    """$NAME from earlier ENV lines; unknown names (such as $PATH) are left as they are."""

    def sub(m: re.Match[str]) -> str:
        return env.get(m.group(1), m.group(0))

    return re.sub(r"\$(\w+)", sub, value)


def _exec_form(args: str) -> list[str]:
    import json

    value = json.loads(args)
    assert isinstance(value, list), f"not exec form: {args}"
    return [str(v) for v in value]


def parse_dockerfile(path: Path = DOCKERFILE) -> dict[str, Stage]:
    """Stages by name, each with what it inherits from its parent stage resolved."""
    stages: dict[str, Stage] = {}
    args: dict[str, str] = {}
    current: Stage | None = None
    for word, rest in _instructions(path.read_text()):
        if word == "ARG" and current is None:
            name, _, default = rest.partition("=")
            args[name] = default
        elif word == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
            assert m
            base = re.sub(r"\$\{(\w+)\}", lambda v: args.get(v.group(1), ""), m.group(1))
            name = m.group(2) or f"stage{len(stages)}"
            parent = stages.get(base)
            current = Stage(name=name, base=base)
            if parent is not None:
                current.env = dict(parent.env)
                current.cmd, current.entrypoint = parent.cmd, parent.entrypoint
                current.user, current.healthcheck = parent.user, parent.healthcheck
                current.expose = list(parent.expose)
                current.base = parent.base
            stages[name] = current
        elif current is None:
            continue
        elif word == "ENV":
            for key, val in _env_pairs(rest).items():
                current.env[key] = _expand(val, current.env)
        elif word == "CMD":
            current.cmd = _exec_form(rest)
        elif word == "ENTRYPOINT":
            current.entrypoint = _exec_form(rest)
        elif word == "USER":
            current.user = rest
        elif word == "HEALTHCHECK":
            current.healthcheck = rest
        elif word == "EXPOSE":
            current.expose += [int(p.split("/")[0]) for p in rest.split()]
        elif word == "RUN":
            current.runs.append(rest)
    return stages


def module_of(command: list[str]) -> str | None:
    """`python -m pkg` -> 'pkg'."""
    if len(command) >= 3 and Path(command[0]).name.startswith("python") and command[1] == "-m":
        return command[2]
    return None


def module_entry_exists(module: str) -> bool:
    """Whether `python -m module` has something to run in this checkout."""
    base = ROOT.joinpath(*module.split("."))
    return (base / "__main__.py").is_file() or base.with_suffix(".py").is_file()


# ------------------------------------------------------------------------- Kubernetes


def k8s_documents(directory: Path = K8S_DIR) -> list[dict[str, Any]]:
    """Every Kubernetes object in the manifests (kustomization files excluded)."""
    docs: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def k8s_object(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]
