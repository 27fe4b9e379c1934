"""Benchmark: the mesh against the raw PaddleOCR library on three kinds of image (not a test).

In one sitting, for each kind (a card, a 300 dpi A4 scan, a 12 MP phone photo), interleaved
round by round (raw, mesh c=2n, mesh c=4n, raw, …; medians over rounds):
- raw: `cv2.imdecode` + `PaddleOCR.ocr(img, cls=True)` (one CPU thread, the service's models)
  in as many processes as cores, back to back from a common start;
- mesh: POST /api/ocr through the gateway to n OCR nodes (result cache and rate limits off),
  closed loop at concurrency 2n and 4n; images/s of each node between its first and last
  completion in a steady window, summed over the nodes, as the raw processes are counted (one
  span over all nodes' completions read pages up to ±5 % off: with ~10 pages a node, where the
  two nodes' last pages fall in the window moved it);
- CPU seconds per image in the OCR nodes and in the gateway (from /proc, over the window);
- single-request latency through the gateway (nothing else in flight) next to the raw call,
  taken in turns (raw call, mesh request, raw call, …): medians, and the median of the pairs'
  ratios.
Every figure is printed with the CPU the rest of the machine used meanwhile (in cores); a
window busier than loadtest.quiet.QUIET_CORES is measured again (once), then flagged.

Run: .venv/bin/python benchmarks/mesh_vs_raw.py [--kinds card,page,photo] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtest.image_kinds import render
from loadtest.mesh import ScaledMesh
from loadtest.physical import RawPool
from loadtest.processes import cpu_seconds
from loadtest.quiet import OtherCpu
from loadtest.stats import Request, node_rate
from mesh.names import OCR_SERVICE

PASSWORD = "bench-mesh-raw-1"
SECONDS = {"card": 20.0, "page": 50.0, "photo": 45.0}  # long enough for ~20 images at 2 nodes
LATENCY_PAIRS = {"card": 10, "page": 8, "photo": 6}
T = TypeVar("T")


@dataclass
class MeshWindow:
    images_per_second: float
    images: int
    node_cpu_per_image: float
    gateway_cpu_per_image: float
    failures: int


async def _closed_loop(
    gateway: str,
    token: str,
    image: bytes,
    concurrency: int,
    seconds: float,
    meter: Callable[[], None],
) -> tuple[list[tuple[float, str]], int]:
    """Completion times after the warm-up and the node that served each; `meter` is called when
    the window opens and closes."""
    done: list[tuple[float, str]] = []
    failures = 0
    began, warm = time.perf_counter(), seconds / 3
    opened = asyncio.Event()
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=gateway, timeout=300, limits=limits, trust_env=False) as client:

        async def one_client() -> None:
            nonlocal failures
            headers = {"Authorization": f"Bearer {token}"}
            while time.perf_counter() - began < warm + seconds:
                r = await client.post("/api/ocr", files={"image": ("img", image)}, headers=headers)
                now = time.perf_counter()
                if r.status_code != 200:
                    failures += 1
                elif opened.is_set() and now - began <= warm + seconds:
                    done.append((now, r.headers.get("x-served-by", "")))

        async def window() -> None:
            await asyncio.sleep(warm)
            meter()
            opened.set()
            await asyncio.sleep(seconds)
            meter()

        await asyncio.gather(window(), *(one_client() for _ in range(concurrency)))
    return done, failures


def mesh_window(
    gateway: str, token: str, image: bytes, concurrency: int, seconds: float, nodes: list[int], gw: int
) -> MeshWindow:
    marks: list[tuple[float, float]] = []

    def meter() -> None:
        marks.append((cpu_seconds(nodes), cpu_seconds([gw])))

    done, failures = asyncio.run(_closed_loop(gateway, token, image, concurrency, seconds, meter))
    rate = node_rate([Request("ocr", at, 0.0, 200, "", node) for at, node in done])
    (n0, g0), (n1, g1) = marks
    count = max(len(done), 1)
    return MeshWindow(rate, len(done), (n1 - n0) / count, (g1 - g0) / count, failures)


def single_latency(
    pool: RawPool, gateway: str, token: str, image: bytes, pairs: int
) -> tuple[float, float, float]:
    """One raw call and one lone request through the gateway in turns, `pairs` times (blocks of
    each drifted apart by ±5 % on this machine): their medians and the median of the pairs' ratios."""
    raws, meshes = [], []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=gateway, timeout=300, trust_env=False) as client:
        client.post("/api/ocr", files={"image": ("img", image)}, headers=headers)
        for _ in range(pairs):
            raws.append(pool.latency(image, 1))
            t0 = time.perf_counter()
            r = client.post("/api/ocr", files={"image": ("img", image)}, headers=headers)
            r.raise_for_status()
            meshes.append(time.perf_counter() - t0)
    ratio = statistics.median(m / r for m, r in zip(meshes, raws, strict=True))
    return statistics.median(raws), statistics.median(meshes), ratio


def quietly(measure: Callable[[], T], ours: list[int], label: str) -> tuple[T, float]:
    """Run a measurement; once more if the rest of the machine was busy meanwhile."""
    for attempt in (1, 2):
        with OtherCpu(ours) as other:
            result = measure()
        if other.quiet or attempt == 2:
            return result, other.cores
        print(f"    {label}: other CPU {other.cores:.2f} cores, measuring again", flush=True)
    raise AssertionError("unreachable")


@dataclass
class Target:
    """The running mesh, the raw pool, and which processes are ours."""

    gateway: str
    token: str
    nodes: list[int]
    gw: int
    pool: RawPool
    ours: list[int]

    def window(self, image: bytes, concurrency: int, seconds: float) -> MeshWindow:
        return mesh_window(self.gateway, self.token, image, concurrency, seconds, self.nodes, self.gw)


@dataclass
class Row:
    kind: str
    raw: float
    mesh: float
    raw_latency: float
    mesh_latency: float
    latency_ratio: float  # the median of the pairs' ratios
    gateway_share: float

    def __str__(self) -> str:
        return (
            f"{self.kind:<6} {self.raw:9.3f} {self.mesh:11.3f} {self.mesh / self.raw:6.1%} "
            f"{self.raw_latency:9.3f}s {self.mesh_latency:10.3f}s "
            f"{self.latency_ratio - 1:+7.1%} {self.gateway_share:10.2%}"
        )


def study(kind: str, t: Target, rounds: int, seconds: float) -> Row:
    """Raw and mesh, interleaved over `rounds`; medians."""
    image = render(kind)
    cores = len(t.nodes)
    print(f"\n{kind}: {len(image) / 1024:.0f} KB, windows of {seconds:.0f} s", flush=True)
    t.pool.warm(image)
    t.window(image, 2 * cores, seconds / 3)  # warm the nodes
    raws: list[float] = []
    meshes: dict[int, list[MeshWindow]] = {2 * cores: [], 4 * cores: []}
    for r in range(1, rounds + 1):
        raw, other = quietly(lambda: t.pool.throughput(image, seconds), t.ours, "raw")
        raws.append(raw.images_per_second)
        print(
            f"  round {r} raw     {raw.images_per_second:6.3f} img/s  "
            f"{raw.cpu_seconds_per_image:6.3f} CPU-s/img  other {other:.2f} cores",
            flush=True,
        )
        for c, ws in meshes.items():
            w, other = quietly(partial(t.window, image, c, seconds), t.ours, "mesh")
            ws.append(w)
            share = w.gateway_cpu_per_image / max(w.node_cpu_per_image, 1e-9)
            print(
                f"  round {r} mesh c={c:<2} {w.images_per_second:6.3f} img/s  "
                f"nodes {w.node_cpu_per_image:6.3f} CPU-s/img  "
                f"gateway {w.gateway_cpu_per_image * 1000:6.1f} ms/img ({share:.2%})  "
                f"{w.images} images, {w.failures} failed  other {other:.2f} cores",
                flush=True,
            )
    best = max(statistics.median(w.images_per_second for w in ws) for ws in meshes.values())
    with_other = quietly(
        lambda: single_latency(t.pool, t.gateway, t.token, image, LATENCY_PAIRS[kind]), t.ours, "latency"
    )
    (raw_latency, mesh_latency, latency_ratio), other = with_other
    print(
        f"  one request alone, {LATENCY_PAIRS[kind]} pairs: raw {raw_latency:.3f} s, "
        f"mesh {mesh_latency:.3f} s, pairs {latency_ratio - 1:+.1%}  other {other:.2f} cores",
        flush=True,
    )
    shares = [w.gateway_cpu_per_image / max(w.node_cpu_per_image, 1e-9) for ws in meshes.values() for w in ws]
    return Row(
        kind,
        statistics.median(raws),
        best,
        raw_latency,
        mesh_latency,
        latency_ratio,
        statistics.median(shares),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kinds", default="card,page,photo")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds-scale", type=float, default=1.0, help="scale every window")
    args = ap.parse_args()
    cores = psutil.cpu_count() or 1
    print(f"{cores} cores; raw: {cores} processes x 1 thread; mesh: {cores} OCR nodes", flush=True)
    mesh = ScaledMesh(Path(tempfile.mkdtemp(prefix="ocr-mesh-bench-raw-")))
    mesh.start(ocr=cores, users=1)
    mesh.sign_in("bench_mesh_raw", PASSWORD)
    mesh.wait_gateway_view()
    pool = RawPool(cores)
    try:
        assert mesh.gateway is not None
        nodes = [p.pid for p in mesh.running(OCR_SERVICE)]
        ours = [*mesh.pids(), *pool.pids]
        target = Target(mesh.url, mesh.token, nodes, mesh.gateway.pid, pool, ours)
        rows = [study(k, target, args.rounds, SECONDS[k] * args.seconds_scale) for k in args.kinds.split(",")]
        print("\nkind   raw img/s  mesh img/s  ratio   raw 1-req  mesh 1-req  latency  gateway CPU/nodes")
        for row in rows:
            print(row)
    finally:
        pool.close()
        mesh.close()


if __name__ == "__main__":
    main()
