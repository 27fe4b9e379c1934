"""Helpers the tests share: free-port search, and the rendered text images of mesh_tools.textimage."""

from __future__ import annotations

from pathlib import Path

from mesh_tools.launcher.procs import port_free
from mesh_tools.textimage import cjk_font, render_lines

__all__ = ["cjk_font", "free_base_port", "render_lines"]


def ephemeral_low() -> int:
    """The first port the kernel may hand out as the source port of an outgoing connection."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_base_port(start: int, span: tuple[int, ...] = (0,), host: str = "127.0.0.1") -> int:
    """The first port p from start with p+offset free for every offset in span.

    Only below the ephemeral range: a port checked free there can still be taken, before the server
    binds it, as the source port of any outgoing connection (a Nacos node failed to start so in CI).
    """
    port, limit = start, ephemeral_low()
    step = 1 if span == (0,) else 10  # multi-port servers: keep bases apart so spans never overlap
    while port + max(span) < limit:
        if all(port_free(host, port + off) for off in span):
            return port
        port += step
    raise RuntimeError(f"no free port from {start} below the ephemeral range ({limit})")
