"""The physical limit: the raw PaddleOCR library on the same image, one process per core.

Each raw call decodes the upload as well (`cv2.imdecode`), since any real service must, then
runs `PaddleOCR.ocr(img, cls=True)` built exactly as the OCR node builds it, with the same
allocator (tcmalloc when installed: faster for the library too, see
mesh_tools.launcher.allocator). The processes are built once (`RawPool`) so a study can
interleave raw and mesh measurements.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Literal

from loadtest.quiet import OtherCpu
from mesh_tools.launcher.allocator import engine_env

WARMUP_CALLS = 3
Engine = Literal["paddle", "rapidocr"]


@dataclass
class PhysicalResult:
    processes: int
    seconds: float  # measured time per process, after its warm-up
    images: int
    images_per_second: float  # summed over processes
    cpu_seconds_per_image: float  # process CPU time per image, averaged
    load_seconds: float  # model construction, slowest process
    other_cpu_percent: float  # CPU used by everything else on the machine meanwhile, % of one core
    quiet: bool = True  # other CPU at most loadtest.quiet.QUIET_CORES: a limit can be trusted
    when: str = ""  # where in a study it was measured (e.g. "before o2-u1-c1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_raw_ocr(threads: int = 1, engine: Engine = "paddle") -> Callable[[Any], Any]:
    """The engine's plain library call, built exactly as the OCR node builds the engine, with
    `threads` CPU threads: `PaddleOCR.ocr(img, cls=True)` or `RapidOCR(img)`."""
    import cv2

    from ocr_service.config import OcrSettings

    cv2.setNumThreads(threads)
    settings = OcrSettings(nacos_enabled=False, cpu_threads=threads, engine=engine)
    if engine == "rapidocr":
        from ocr_service.engines.rapid import build_rapid_ocr

        rapid: Callable[[Any], Any] = build_rapid_ocr(settings)
        return rapid
    from ocr_service.engines.paddle import build_paddle_ocr

    ocr = build_paddle_ocr(settings)
    return lambda img: ocr.ocr(img, cls=True)


def _worker(conn: Connection, threads: int, engine: Engine) -> None:
    """Build once, then answer commands: ("warm", image), ("run", image, start_at, seconds),
    ("call", image) for one timed call, or None to stop."""
    import cv2
    import numpy as np

    started = time.perf_counter()
    try:
        ocr = build_raw_ocr(threads, engine)
    except Exception as exc:  # reported to the parent, which raises
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", time.perf_counter() - started))

    def read(data: bytes) -> None:
        ocr(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))

    while (command := conn.recv()) is not None:
        kind, image = command[0], command[1]
        if kind == "warm":
            for _ in range(WARMUP_CALLS):
                read(image)
            conn.send(("warm", 0.0))
        elif kind == "call":
            t0 = time.perf_counter()
            read(image)
            conn.send(("call", time.perf_counter() - t0))
        else:
            start_at, seconds = command[2], command[3]
            time.sleep(max(0.0, start_at - time.monotonic()))
            t0, c0 = time.perf_counter(), time.process_time()
            count, last = 0, t0
            while last - t0 < seconds:
                read(image)
                count += 1
                last = time.perf_counter()
            conn.send(("run", (count, last - t0, time.process_time() - c0)))


class RawPool:
    """`processes` raw library processes (one CPU thread each unless told), built once."""

    def __init__(self, processes: int, threads: int = 1, engine: Engine = "paddle") -> None:
        ctx = mp.get_context("spawn")
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        env_before = dict(os.environ)
        os.environ.update(engine_env(os.environ) | {"OMP_NUM_THREADS": str(threads)})
        try:
            for _ in range(processes):
                parent, child = ctx.Pipe()
                proc = ctx.Process(target=_worker, args=(child, threads, engine), daemon=True)
                proc.start()
                self._conns.append(parent)
                self._procs.append(proc)
        finally:
            os.environ.clear()
            os.environ.update(env_before)
        self.load_seconds = max(self._answer(c, "ready") for c in self._conns)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs]

    def _answer(self, conn: Connection, expected: str) -> Any:
        if not conn.poll(900):
            raise RuntimeError("a raw PaddleOCR process did not answer within 15 minutes")
        kind, value = conn.recv()
        if kind != expected:
            raise RuntimeError(f"raw PaddleOCR process failed: {value}")
        return value

    def warm(self, image: bytes) -> None:
        """Run every process WARMUP_CALLS times on this image (oneDNN builds its kernels)."""
        for conn in self._conns:
            conn.send(("warm", image))
        for conn in self._conns:
            self._answer(conn, "warm")

    def throughput(
        self, image: bytes, seconds: float, processes: int | None = None, ours: list[int] | None = None
    ) -> PhysicalResult:
        """Images/s of the first `processes` (default: all) reading back to back from a common
        start; `ours` are other processes not counted as the rest of the machine's CPU."""
        conns = self._conns[: processes or len(self._conns)]
        start_at = time.monotonic() + 0.5
        with OtherCpu(self.pids + (ours or [])) as other:
            for conn in conns:
                conn.send(("run", image, start_at, seconds))
            answers = [self._answer(c, "run") for c in conns]
        images = sum(a[0] for a in answers)
        return PhysicalResult(
            processes=len(conns),
            seconds=seconds,
            images=images,
            images_per_second=sum(a[0] / a[1] for a in answers),
            cpu_seconds_per_image=sum(a[2] for a in answers) / max(images, 1),
            load_seconds=self.load_seconds,
            other_cpu_percent=other.cores * 100,
            quiet=other.quiet,
        )

    def share(self, images: list[bytes]) -> tuple[float, float]:
        """Read `images` once, each by whichever process is free next; (seconds for all, seconds
        to the first one done)."""
        pending, idle = list(images), list(self._conns)
        started, first = time.perf_counter(), 0.0
        busy: list[Connection] = []
        while pending or busy:
            while pending and idle:
                conn = idle.pop()
                conn.send(("call", pending.pop(0)))
                busy.append(conn)
            ready = [c for c in self._conns if c in wait(busy, timeout=900)]
            if not ready:
                raise RuntimeError("no raw library process answered within 15 minutes")
            for conn in ready:
                self._answer(conn, "call")
                first = first or time.perf_counter() - started
                busy.remove(conn)
                idle.append(conn)
        return time.perf_counter() - started, first

    def latency(self, image: bytes, calls: int) -> float:
        """Median seconds of one call in the first process, the others idle."""
        times = []
        for _ in range(calls):
            self._conns[0].send(("call", image))
            times.append(self._answer(self._conns[0], "call"))
        return statistics.median(times)

    def close(self) -> None:
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.send(None)
        for proc in self._procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()

    def __enter__(self) -> RawPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class FairLimit:
    """The raw library's limit for a study, measured between its mesh measurements.

    One pool, built and warmed once. Each `measure` reads for `seconds` with one process per core
    (and, the first time, with one process); a window where the rest of the machine used more
    than QUIET_CORES is measured again once and, if still busy, kept but flagged `quiet=False`.
    """

    def __init__(self, image: bytes, seconds: float, processes: int) -> None:
        self.image, self.seconds = image, seconds
        self.pool = RawPool(processes)
        self.pool.warm(image)
        self._first = True

    def measure(self, when: str, ours: list[int]) -> list[PhysicalResult]:
        counts = sorted({1, len(self.pool.pids)}) if self._first else [len(self.pool.pids)]
        self._first = False
        out = []
        for n in counts:
            result = self.pool.throughput(self.image, self.seconds, n, ours)
            if not result.quiet:
                result = self.pool.throughput(self.image, self.seconds, n, ours)
            result.when = when
            out.append(result)
        return out

    def close(self) -> None:
        self.pool.close()
