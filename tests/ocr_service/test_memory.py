"""Free heap memory goes back to the system: tcmalloc's call when it is preloaded, else glibc's."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mesh_tools.launcher.allocator import tcmalloc
from ocr_service.memory import release_free_memory

PROBE = "from ocr_service.memory import _releaser; r = _releaser(); print(getattr(r, '__name__', None))"


def test_release_works_under_glibc() -> None:
    assert release_free_memory() is True


def test_release_uses_tcmalloc_when_preloaded() -> None:
    library = tcmalloc()
    if library is None:
        pytest.skip("libtcmalloc-minimal4 is not installed")
    env = os.environ | {"LD_PRELOAD": str(library)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "MallocExtension_ReleaseFreeMemory"
    plain = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert plain.stdout.strip() == "malloc_trim"
