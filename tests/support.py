"""Helpers the tests share: free-port search, and the rendered text images of mesh_tools.textimage."""

from __future__ import annotations

from mesh_tools.launcher.procs import port_free
from mesh_tools.textimage import cjk_font, render_lines

__all__ = ["cjk_font", "free_base_port", "render_lines"]


def free_base_port(start: int, span: tuple[int, ...] = (0,), host: str = "127.0.0.1") -> int:
    """The first port p from start with p+offset free for every offset in span."""
    port = start
    step = 1 if span == (0,) else 10  # multi-port servers: keep bases apart so spans never overlap
    while port < 60000:
        if all(port_free(host, port + off) for off in span):
            return port
        port += step
    raise RuntimeError("no free port")
