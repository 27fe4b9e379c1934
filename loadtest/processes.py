"""A process and all its children: an OCR node's model runs in a child process of the node."""

from __future__ import annotations

import contextlib

import psutil


def tree(pids: list[int]) -> list[psutil.Process]:
    """The processes `pids` and their descendants alive now, each once."""
    found: dict[int, psutil.Process] = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(pid)
            found |= {p.pid: p for p in [root, *root.children(recursive=True)]}
    return list(found.values())


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of `pids` and their descendants (those gone are left out)."""
    total = 0.0
    for proc in tree(pids):
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            total += t.user + t.system
    return total


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of `pids` and their descendants."""
    total = 0
    for proc in tree(pids):
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total
