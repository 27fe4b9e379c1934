"""The OCR engines' allocator: tcmalloc preloaded when installed, unless turned off."""

from __future__ import annotations

import pytest

from mesh_tools.launcher.allocator import engine_env, tcmalloc

installed = pytest.mark.skipif(tcmalloc() is None, reason="libtcmalloc-minimal4 is not installed")


@installed
def test_tcmalloc_goes_first_in_ld_preload_once() -> None:
    library = str(tcmalloc())
    env = engine_env({"PATH": "/bin", "LD_PRELOAD": "/opt/other.so"})
    assert env["LD_PRELOAD"] == f"{library}:/opt/other.so" and env["PATH"] == "/bin"
    assert engine_env(env)["LD_PRELOAD"] == env["LD_PRELOAD"]


@installed
def test_tcmalloc_can_be_turned_off() -> None:
    assert "LD_PRELOAD" not in engine_env({"OCR_MESH_TCMALLOC": "0"})


def test_without_the_library_the_environment_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mesh_tools.launcher.allocator.SEARCH", ("/nonexistent",))
    assert engine_env({"LD_PRELOAD": "/opt/other.so"}) == {"LD_PRELOAD": "/opt/other.so"}
