"""The import rule (docs/architecture.md), read from the code's own imports with ast:

- `mesh` (the kernel) imports no service, nothing of the tools side and no test;
- each service imports `mesh` and itself, never another service, the tools side or a test;
- the tools side (tools, loadtest, benchmarks) may import the services, never a test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "mesh"
SERVICES = ("gateway", "user_service", "ocr_service")
TOOLS = ("mesh_tools", "loadtest", "benchmarks")
FIRST_PARTY = (KERNEL, *SERVICES, *TOOLS, "tests")


def allowed(package: str) -> set[str]:
    """The first-party packages `package` may import."""
    if package == KERNEL:
        return {KERNEL}
    if package in SERVICES:
        return {KERNEL, package}
    return {KERNEL, *SERVICES, *TOOLS}


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every first-party import, importlib.import_module("…") included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        found += [(node.lineno, n.split(".")[0]) for n in names if n.split(".")[0] in FIRST_PARTY]
    return found


def violations(root: Path) -> list[str]:
    """Every import that breaks the rule, as 'path:line imports package'."""
    broken = []
    for package in (KERNEL, *SERVICES, *TOOLS):
        for path in sorted((root / package).rglob("*.py")):
            for line, target in imported(path):
                if target not in allowed(package):
                    broken.append(f"{path.relative_to(root)}:{line} imports {target}")
    return broken


def test_the_code_keeps_the_import_rule() -> None:
    assert violations(ROOT) == []


def test_the_reader_sees_the_imports_it_checks() -> None:
    targets = {t for p in (ROOT / "gateway").rglob("*.py") for _, t in imported(p)}
    assert targets == {"gateway", "mesh"}
    assert "ocr_service" in {t for _, t in imported(ROOT / "mesh_tools" / "evaluate" / "runner.py")}


@pytest.mark.parametrize(
    ("package", "line", "bad"),
    [
        ("mesh", "from mesh_tools.launcher.procs import alive", "mesh_tools"),
        ("mesh", "import gateway.state", "gateway"),
        ("gateway", "from user_service.keys import KeyRing", "user_service"),
        ("ocr_service", "from loadtest.image import render_card", "loadtest"),
        ("user_service", "importlib.import_module('mesh_tools.cli')", "mesh_tools"),
        ("benchmarks", "from tests.support import free_base_port", "tests"),
    ],
)
def test_a_broken_rule_is_reported(tmp_path: Path, package: str, line: str, bad: str) -> None:
    (tmp_path / package).mkdir()
    (tmp_path / package / "module.py").write_text(f"import importlib\n{line}\n")
    assert violations(tmp_path) == [f"{package}/module.py:2 imports {bad}"]
