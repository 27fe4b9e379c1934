"""Benchmark: an OCR engine's memory against its CPU, per recognition batch width (not a test).

For each `rec_batch_width` (0: no bound), a fresh process builds the node's PaddleOCR engine as
the node does (same allocator, warm-up, free memory released), reads each kind of image once
(loadtest.image_kinds: card, A4 scan, 12 MP photo, decoded and shrunk as the node does), then
prints its RSS and the CPU seconds per image of each kind (best of a few, warm), and the CPU
the rest of the machine used meanwhile. Memory that one wide batch needed stays with the
process, so RSS after the three kinds is what a node keeps.

`--executor-cost` measures instead what Paddle's new executor (`new_executor`, the default: each
tensor freed after its last use) costs against the old one, side by side in one process: two
engines, rounds over the same distinct sizes (loadtest.image_kinds.many_sizes) in turns, CPU per
round, the ratio of each new-executor round to the old one before it, and whether the text is the
same. Memory is each executor's own in a fresh process: the default mode above with
`--executors`.

Run: .venv/bin/python benchmarks/engine_memory.py [--widths 0,4000,3000,2000] [--executors new,old]
     .venv/bin/python benchmarks/engine_memory.py --executor-cost [--rounds 3 --sizes 20 --widths 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadtest.quiet import OtherCpu  # noqa: E402
from mesh_tools.launcher.allocator import engine_env  # noqa: E402

REPEATS = {"card": 10, "page": 3, "photo": 3}


def one(width: int, new_executor: bool) -> dict[str, float]:
    """In this process: the engine with this batch width and executor, its RSS and CPU per kind."""
    from loadtest.image_kinds import KINDS, render
    from ocr_service.config import OcrSettings
    from ocr_service.engines.paddle import PaddleEngine
    from ocr_service.imaging import decode_image

    settings = OcrSettings(nacos_enabled=False, rec_batch_width=width, new_executor=new_executor)
    engine = PaddleEngine(settings)
    asyncio.run(engine.start())
    me = psutil.Process()
    out = {"rss_started_mb": me.memory_info().rss / 2**20}
    images = {k: decode_image(render(k), settings.max_pixels, settings.max_side).bgr for k in KINDS}
    for image in images.values():
        engine.submit(lambda image=image: engine._infer(image)).result()  # type: ignore[misc]
    out["rss_after_kinds_mb"] = me.memory_info().rss / 2**20
    with OtherCpu([]) as other:
        for kind, image in images.items():
            times = []
            for _ in range(REPEATS[kind]):
                started = time.process_time()
                engine.submit(lambda image=image: engine._infer(image)).result()  # type: ignore[misc]
                times.append(time.process_time() - started)
            out[f"{kind}_cpu_s"] = min(times)
    out["rss_end_mb"] = me.memory_info().rss / 2**20
    out["other_cores"] = other.cores
    return out


def executor_cost(width: int, rounds: int, sizes: int) -> None:
    """In this process: CPU per round over `sizes` images on the old and the new executor, in turns."""
    from loadtest.image_kinds import many_sizes
    from ocr_service.config import OcrSettings
    from ocr_service.engines.paddle import PaddleEngine
    from ocr_service.imaging import decode_image

    engines = {}
    for new in (False, True):
        engines[new] = PaddleEngine(OcrSettings(nacos_enabled=False, rec_batch_width=width, new_executor=new))
        asyncio.run(engines[new].start())
    settings = engines[True].settings
    images = [decode_image(b, settings.max_pixels, settings.max_side).bgr for b in many_sizes(sizes)]

    def one_round(new: bool) -> tuple[float, list[list[str]]]:
        started = time.process_time()
        texts = [[line.text for line in engines[new]._infer(image)] for image in images]
        return time.process_time() - started, texts

    texts = {new: engines[new].submit(lambda new=new: one_round(new)).result()[1] for new in engines}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    with OtherCpu([]) as other:
        for _ in range(rounds):
            for new in (False, True):
                seconds, _ = engines[new].submit(lambda new=new: one_round(new)).result()  # type: ignore[misc]
                cpu[new].append(seconds)
    ratios = [n / o for n, o in zip(cpu[True], cpu[False], strict=True)]
    print(
        f"width {width or 'none'}, {len(images)} sizes, {rounds} rounds each: CPU per round old executor "
        f"{statistics.median(cpu[False]):.2f} s, new {statistics.median(cpu[True]):.2f} s, new/old "
        f"{statistics.median(ratios):.3f} ({', '.join(f'{r:.3f}' for r in ratios)}); same text: "
        f"{texts[True] == texts[False]}; other CPU {other.cores:.2f} cores"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="0,4000,3000,2000")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--executors", default="new", help="new, old or new,old (memory per executor)")
    ap.add_argument("--one-executor", default="new", help=argparse.SUPPRESS)
    ap.add_argument("--executor-cost", action="store_true", help="the new executor's CPU against the old")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", type=int, default=20)
    ap.add_argument("--cost-one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cost_one is not None:
        executor_cost(args.cost_one, args.rounds, args.sizes)
        return
    if args.executor_cost:
        env = engine_env() | {"OMP_NUM_THREADS": "1"}
        for width in [int(w) for w in args.widths.split(",")]:
            command = [sys.executable, __file__, "--cost-one", str(width), "--rounds", str(args.rounds)]
            run = subprocess.run(
                [*command, "--sizes", str(args.sizes)], env=env, capture_output=True, text=True
            )
            print(
                run.stdout.strip().splitlines()[-1] if run.returncode == 0 else run.stderr[-2000:], flush=True
            )
        return
    if args.one is not None:
        print(json.dumps(one(args.one, args.one_executor == "new")))
        return
    print(
        "executor width   RSS started  after kinds   at end   card CPU-s  page CPU-s  photo CPU-s  other CPU"
    )
    env = engine_env() | {"OMP_NUM_THREADS": "1"}
    for executor, width in [(e, int(w)) for e in args.executors.split(",") for w in args.widths.split(",")]:
        command = [sys.executable, __file__, "--one", str(width), "--one-executor", executor]
        run = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        r = json.loads(run.stdout.strip().splitlines()[-1])
        print(
            f"{executor:>8} {width or 'none':>6} {r['rss_started_mb']:>9.0f} MB "
            f"{r['rss_after_kinds_mb']:>8.0f} MB "
            f"{r['rss_end_mb']:>6.0f} MB {r['card_cpu_s']:>10.3f} {r['page_cpu_s']:>11.3f} "
            f"{r['photo_cpu_s']:>12.3f}  {r['other_cores']:.2f} cores",
            flush=True,
        )


if __name__ == "__main__":
    main()
