"""Modules that need only the token rules load without the Nacos SDK and gRPC behind it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("v2", "nacos", "grpc")  # nacos-sdk-python's package is `v2.nacos`; it loads grpc


def _loaded_top_level(module: str) -> set[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(run.stdout))


@pytest.mark.parametrize("module", ["mesh.tokens", "mesh.names", "user_service.keys"])
def test_importing_does_not_load_the_nacos_sdk(module: str) -> None:
    assert _loaded_top_level(module).isdisjoint(HEAVY)


def test_the_check_can_fail() -> None:
    assert "v2" in _loaded_top_level("mesh.registry")
