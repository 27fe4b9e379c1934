"""CPU and memory of every process of the mesh, sampled with psutil on a background thread."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass

import psutil

from loadtest.processes import tree

ROLES = ("nacos", "gateway", "user-service", "ocr-service", "loadgen")
OTHER = "other"  # everything else on the machine: other users' work shows up here


@dataclass(frozen=True)
class Sample:
    t: float  # time.monotonic()
    cpu: dict[str, float]  # role -> % of one core, summed over the role's processes
    rss: dict[str, int]  # role -> bytes, summed


def _role(proc: psutil.Process, pids: dict[int, str]) -> str:
    """The role of the nearest listed process at or above `proc` (the mesh's services are
    themselves children of the load generator, which is listed too)."""
    current: psutil.Process | None = proc
    while current is not None and current.pid not in pids:
        current = current.parent()
    return pids[current.pid] if current is not None else OTHER


class Sampler:
    """Every `interval` seconds: CPU% and RSS per role, plus the rest of the machine as 'other'."""

    def __init__(self, pids: dict[int, str], interval: float = 0.5) -> None:
        self.interval = interval
        self.samples: list[Sample] = []
        self._procs: dict[psutil.Process, str] = {}
        self._counts: dict[str, int] = {}
        for role in pids.values():
            self._counts[role] = self._counts.get(role, 0) + 1
        for proc in tree(list(pids)):  # with their children: an OCR node's model process
            with contextlib.suppress(psutil.Error):
                proc.cpu_percent(None)
                self._procs[proc] = _role(proc, pids)
        psutil.cpu_percent(None)
        self._cores = psutil.cpu_count() or 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="loadtest-sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            cpu = dict.fromkeys(ROLES, 0.0)
            rss = dict.fromkeys(ROLES, 0)
            for proc, role in self._procs.items():
                with contextlib.suppress(psutil.Error), proc.oneshot():
                    cpu[role] += proc.cpu_percent(None)
                    rss[role] += proc.memory_info().rss
            machine = psutil.cpu_percent(None) * self._cores
            cpu[OTHER] = max(0.0, machine - sum(cpu.values()))
            self.samples.append(Sample(time.monotonic(), cpu, rss))

    def summary(self, start: float, end: float) -> dict[str, dict[str, float]]:
        """Per role over samples in [start, end] (monotonic): cpu_mean, cpu_max (% of one core),
        rss_max_mb; plus the machine's cores."""
        inside = [s for s in self.samples if start <= s.t <= end] or self.samples
        counts = self._counts
        out: dict[str, dict[str, float]] = {}
        for role in (*ROLES, OTHER):
            cpu = [s.cpu.get(role, 0.0) for s in inside]
            rss = [s.rss.get(role, 0) for s in inside]
            out[role] = {
                "processes": float(counts.get(role, 0)),
                "cpu_mean": sum(cpu) / len(cpu) if cpu else 0.0,
                "cpu_max": max(cpu, default=0.0),
                "rss_max_mb": max(rss, default=0) / 2**20,
                "samples": float(len(inside)),
            }
        return out
