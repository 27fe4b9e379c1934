"""Benchmark: one CPU thread per OCR engine or two? (not a test; issue 16, "latency when idle").

A node alone on a 2-core machine leaves a core idle; more engine threads would use it, but
at saturation (one node per core) they compete. For each kind of image this prints, side by
side in one run, the raw library (loadtest.physical.RawPool: built as the node builds it):
- one call alone, 1 thread against 2 threads (median of a few);
- images/s of one process per core, 1 thread each against 2 threads each;
with the CPU the rest of the machine used meanwhile.

Run: .venv/bin/python benchmarks/engine_threads.py [--kinds card,page] [--seconds 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtest.image_kinds import render
from loadtest.physical import RawPool
from loadtest.quiet import OtherCpu

CALLS = {"card": 15, "page": 4, "photo": 4}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kinds", default="card,page")
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    cores = psutil.cpu_count() or 1
    print(f"{cores} cores; threads per engine: 1 against {cores}")
    pools = {threads: RawPool(cores, threads=threads) for threads in (1, cores)}
    try:
        ours = [pid for pool in pools.values() for pid in pool.pids]
        for kind in args.kinds.split(","):
            image = render(kind)
            for pool in pools.values():
                pool.warm(image)
            alone, rate = {}, {}
            with OtherCpu(ours) as other:
                for threads, pool in pools.items():
                    alone[threads] = pool.latency(image, CALLS[kind])
                for threads, pool in pools.items():
                    rate[threads] = pool.throughput(image, args.seconds, ours=ours).images_per_second
            one, many = 1, cores
            print(
                f"{kind:<6} alone: {alone[one]:.3f} s with 1 thread, {alone[many]:.3f} s with {many} "
                f"({alone[many] / alone[one] - 1:+.0%}); {cores} processes: {rate[one]:.3f} img/s with "
                f"1 thread each, {rate[many]:.3f} with {many} ({rate[many] / rate[one] - 1:+.0%}); "
                f"other CPU {other.cores:.2f} cores",
                flush=True,
            )
    finally:
        for pool in pools.values():
            pool.close()


if __name__ == "__main__":
    main()
