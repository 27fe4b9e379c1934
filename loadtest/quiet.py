"""Is the machine quiet? The CPU everything else used while we measured, in cores."""

from __future__ import annotations

import os
import time

import psutil

from loadtest.processes import cpu_seconds

QUIET_CORES = 0.15  # more than this used by other processes makes a ratio untrustworthy


class OtherCpu:
    """CPU the rest of the machine used during a measurement, in cores.

    "Ours" is this process, the given pids and all their children, alive at the start and
    at the end of the measurement.
    """

    cores = 0.0

    def __init__(self, ours: list[int]) -> None:
        self._ours = ours

    def _ours_seconds(self) -> float:
        return cpu_seconds([os.getpid(), *self._ours])

    def __enter__(self) -> OtherCpu:
        t = psutil.cpu_times()
        self._busy, self._mine = t.user + t.system + t.nice, self._ours_seconds()
        self._t = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        t = psutil.cpu_times()
        busy = t.user + t.system + t.nice - self._busy
        self.cores = max(0.0, busy - (self._ours_seconds() - self._mine)) / (time.perf_counter() - self._t)

    @property
    def quiet(self) -> bool:
        return self.cores <= QUIET_CORES
