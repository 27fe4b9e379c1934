"""Give the allocator's free memory back to the system (tcmalloc when preloaded, else glibc).

Loading the models leaves ~0.7 GB free inside tcmalloc that the process keeps as RSS; the
engine calls `release_free_memory` once after its warm-up (measured in docs/performance.md).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable


def _releaser() -> Callable[[], object] | None:
    """tcmalloc's MallocExtension_ReleaseFreeMemory if it is loaded, else glibc's malloc_trim(0)."""
    process = ctypes.CDLL(None)
    release = getattr(process, "MallocExtension_ReleaseFreeMemory", None)
    if release is not None:
        release.restype = None
        return release
    trim = getattr(process, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]

    def malloc_trim() -> None:
        trim(0)

    return malloc_trim


def release_free_memory() -> bool:
    """Return free heap memory to the system; False where neither allocator offers it."""
    try:
        release = _releaser()
    except OSError:  # no dynamic symbol table to look in
        return False
    if release is None:
        return False
    release()
    return True
