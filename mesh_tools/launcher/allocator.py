"""The memory allocator OCR engines run with: tcmalloc, when Debian's libtcmalloc-minimal4 is there.

PaddleOCR under glibc's malloc keeps what one dense page needed: recognising the 44 lines of a
2000 px A4 page took a process from 1.0 to 8.3 GB and it stayed there. With tcmalloc preloaded
the same page took it to 3.4 GB, and recognition ran faster (7.1-7.3 s against 9.5-13.9 s of
CPU, measured side by side), a card the same (0.43 against 0.44 s). `OCR_MESH_TCMALLOC=0`
leaves glibc's malloc in place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

LIBRARY = "libtcmalloc_minimal.so.4"
SEARCH = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/local/lib", "/usr/lib")


def tcmalloc() -> Path | None:
    """The installed tcmalloc library, or None."""
    for folder in SEARCH:
        path = Path(folder) / LIBRARY
        if path.is_file():
            return path
    return None


def engine_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) with tcmalloc added to LD_PRELOAD, when installed and wanted."""
    out = dict(os.environ if env is None else env)
    library = tcmalloc()
    if library is None or out.get("OCR_MESH_TCMALLOC", "1") in ("0", "false", "no"):
        return out
    preload = [p for p in out.get("LD_PRELOAD", "").split(":") if p]
    if str(library) not in preload:
        out["LD_PRELOAD"] = ":".join([str(library), *preload])
    return out
