"""The physical limit: the raw PaddleOCR library on the same image, one process per core."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from dataclasses import asdict, dataclass
from multiprocessing.synchronize import Barrier
from typing import Any

WARMUP_CALLS = 3


@dataclass
class PhysicalResult:
    processes: int
    seconds: float  # measured time per process, after its warm-up
    images: int
    images_per_second: float  # summed over processes
    cpu_seconds_per_image: float  # process CPU time per image, averaged
    load_seconds: float  # model construction, slowest process
    other_cpu_percent: float  # CPU used by everything else on the machine meanwhile, % of one core

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _build_ocr() -> Any:
    """PaddleOCR exactly as the OCR node builds it, with one CPU thread."""
    import cv2

    from ocr_service.config import OcrSettings
    from ocr_service.engines.paddle import build_paddle_ocr

    cv2.setNumThreads(1)
    return build_paddle_ocr(OcrSettings(nacos_enabled=False, cpu_threads=1))


def _worker(image: bytes, seconds: float, barrier: Barrier, out: Any) -> None:
    import cv2
    import numpy as np

    try:
        started = time.perf_counter()
        ocr = _build_ocr()
        load = time.perf_counter() - started
        img = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
        for _ in range(WARMUP_CALLS):
            ocr.ocr(img, cls=True)
        barrier.wait(timeout=300)
        t0, c0 = time.perf_counter(), time.process_time()
        count, last = 0, t0
        while last - t0 < seconds:
            ocr.ocr(img, cls=True)
            count += 1
            last = time.perf_counter()
        out.put((count, last - t0, time.process_time() - c0, load, ""))
    except Exception as exc:  # reported to the parent, which raises
        out.put((0, 0.0, 0.0, 0.0, f"{type(exc).__name__}: {exc}"))


def measure(image: bytes, processes: int, seconds: float) -> PhysicalResult:
    """Images/s of `processes` independent PaddleOCR processes running back to back."""
    import psutil

    before_machine, before_children, started = _busy(psutil.cpu_times()), os.times(), time.monotonic()
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(processes)
    out = ctx.Queue()
    env_before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        workers = [ctx.Process(target=_worker, args=(image, seconds, barrier, out)) for _ in range(processes)]
        for w in workers:
            w.start()
        answers = [out.get(timeout=seconds + 600) for _ in workers]
        for w in workers:
            w.join(timeout=30)
    finally:
        if env_before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = env_before
    after, wall = os.times(), time.monotonic() - started
    ours = (after.children_user + after.children_system) - (
        before_children.children_user + before_children.children_system
    )
    other = max(0.0, (_busy(psutil.cpu_times()) - before_machine - ours) / wall * 100)
    errors = [a[4] for a in answers if a[4]]
    if errors:
        raise RuntimeError("raw PaddleOCR run failed: " + "; ".join(errors))
    images = sum(a[0] for a in answers)
    return PhysicalResult(
        processes=processes,
        seconds=seconds,
        images=images,
        images_per_second=sum(a[0] / a[1] for a in answers),
        cpu_seconds_per_image=sum(a[2] for a in answers) / max(images, 1),
        load_seconds=max(a[3] for a in answers),
        other_cpu_percent=other,
    )


def _busy(times: Any) -> float:
    """Machine-wide busy CPU seconds (all cores) from psutil.cpu_times()."""
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))
