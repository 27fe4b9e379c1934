"""OCR node benchmark: latency, throughput of 1 and 2 instances, RSS over many requests.

Each service figure is printed next to the raw library's, measured in the same run:
the engine's plain library call (PaddleOCR.ocr or RapidOCR.__call__, one CPU thread, the
service's models, settings and allocator; `loadtest.physical.RawPool`) in 1 and 2 processes.

    PYTHONPATH=. python benchmarks/ocr_node.py [--engine paddle|rapidocr] [--seconds 20] [--rss-requests 2000]
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadtest.image_kinds import many_sizes  # noqa: E402
from loadtest.physical import RawPool  # noqa: E402
from loadtest.processes import rss_bytes  # noqa: E402
from mesh_tools.launcher.allocator import engine_env  # noqa: E402
from mesh_tools.launcher.procs import next_free_port  # noqa: E402
from mesh_tools.textimage import cjk_font  # noqa: E402

CARD_LINES = [
    "OCR Mesh 名片 Business Card",
    "张伟  高级工程师 Senior Engineer",
    "电话 Tel: +86 138 0013 8000",
    "北京市海淀区中关村大街 27 号",
]


def card_png(scale: float = 1.0) -> bytes:
    """A ~900x420 card with four lines of Chinese and English text."""
    width, height = round(900 * scale), round(420 * scale)
    image = Image.new("RGB", (width, height), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    font = cjk_font(max(10, round(34 * scale)))
    for i, line in enumerate(CARD_LINES):
        draw.text((round(40 * scale), round((40 + i * 90) * scale)), line, fill=(20, 20, 40), font=font)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


class Node:
    """One `python -m ocr_service` process on a free port, Nacos off."""

    def __init__(self, data_dir: Path, engine: str) -> None:
        self.port = next_free_port("127.0.0.1", 8190)
        env = engine_env(  # the allocator the launcher gives OCR nodes, as the raw pool has it
            {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "OCR_MESH_NACOS_ENABLED": "false",
                "OCR_MESH_REQUIRE_TOKEN": "false",  # the node alone: no user service to check tokens with
                "OCR_MESH_PORT": str(self.port),
                "OCR_MESH_ENGINE": engine,
                "OCR_MESH_DATA_DIR": str(data_dir / str(self.port)),
            }
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ocr_service"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"ocr-service on port {self.port} did not become ready")
            time.sleep(0.3)

    def rss_mb(self) -> float:
        """The node's and its model process's."""
        return rss_bytes([self.proc.pid]) / 2**20

    def rss_parts(self) -> list[tuple[str, float]]:
        """RSS of the node's web process and of each child (the model's, multiprocessing's tracker)."""
        web = psutil.Process(self.proc.pid)
        procs = [web, *web.children(recursive=True)]
        names = ["web", *(f"child {p.pid}" for p in procs[1:])]
        return [(n, p.memory_info().rss / 2**20) for n, p in zip(names, procs, strict=True)]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def post(client: httpx.Client, url: str, data: bytes) -> int:
    return client.post(
        url + "/ocr", files={"image": ("card.png", data, "image/png")}, timeout=120
    ).status_code


def service_latency(node: Node, data: bytes, n: int) -> float:
    with httpx.Client() as client:
        post(client, node.url, data)
        times = []
        for _ in range(n):
            started = time.perf_counter()
            assert post(client, node.url, data) == 200
            times.append(time.perf_counter() - started)
    return float(statistics.median(times))


def service_throughput(nodes: list[Node], data: bytes, clients: int, seconds: float) -> tuple[float, int]:
    """Answers 200 per second with `clients` concurrent clients spread over the nodes, and refusals."""
    ok, refused, lock = [0], [0], threading.Lock()
    until = time.perf_counter() + seconds

    def client_loop(i: int) -> None:
        url = nodes[i % len(nodes)].url
        with httpx.Client() as client:
            while time.perf_counter() < until:
                status = post(client, url, data)
                with lock:
                    if status == 200:
                        ok[0] += 1
                    else:
                        refused[0] += 1

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok[0] / seconds, refused[0]


def raw_throughput(data: bytes, engine: str, processes: int, seconds: float) -> float:
    """Images/s of `processes` plain library processes, one thread each (loadtest.physical)."""
    with RawPool(processes, engine=engine) as pool:
        pool.warm(data)
        return pool.throughput(data, seconds).images_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("paddle", "rapidocr"), default="paddle")
    parser.add_argument("--latency-n", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rss-requests", type=int, default=2000)
    parser.add_argument("--rss-sizes", type=int, default=50, help="distinct image sizes in the RSS run")
    parser.add_argument("--rss-only", action="store_true", help="only the RSS run (a fresh instance)")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.rss_only:
        with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
            node = Node(Path(tmp), args.engine)
            try:
                rss_memory(node, args.rss_requests, args.rss_sizes)
            finally:
                node.stop()
        return
    data = card_png()
    print(
        f"engine {args.engine}; card image: 900x420 PNG, {len(data)} bytes; "
        f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores"
    )

    with RawPool(1, engine=args.engine) as pool:
        pool.warm(data)
        raw_latency = pool.latency(data, args.latency_n)
        print(f"raw library latency (median of {args.latency_n}): {raw_latency * 1000:.0f} ms")
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        node = Node(Path(tmp), args.engine)
        try:
            print(
                f"latency (median of {args.latency_n}), service: "
                f"{service_latency(node, data, args.latency_n) * 1000:.0f} ms"
            )
            rate, refused = service_throughput([node], data, 3, args.seconds)
            raw1 = raw_throughput(data, args.engine, 1, args.seconds)
            print(
                f"throughput, 1 instance: service {rate:.2f}/s (refused {refused})"
                f" | raw library, 1 process: {raw1:.2f}/s"
            )
            second = Node(Path(tmp), args.engine)
            try:
                rate2, refused2 = service_throughput([node, second], data, 6, args.seconds)
            finally:
                second.stop()
            raw2 = raw_throughput(data, args.engine, 2, args.seconds)
            print(
                f"throughput, 2 instances: service {rate2:.2f}/s (refused {refused2})"
                f" | raw library, 2 processes: {raw2:.2f}/s"
            )
            rss_memory(node, args.rss_requests, args.rss_sizes)
        finally:
            node.stop()


def rss_memory(node: Node, requests: int, sizes: int) -> None:
    """RSS over `requests` requests cycling through `sizes` distinct images of the three kinds
    (loadtest.image_kinds.many_sizes): after warm-up, every 250 requests (between two requests),
    the spread over the last half, and the highest sampled twice a second while serving."""
    images = many_sizes(sizes)
    started = time.perf_counter()
    highest, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            highest[0] = max(highest[0], node.rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with httpx.Client() as client:
        for img in images:
            assert post(client, node.url, img) == 200
        warm = node.rss_mb()
        print(f"RSS after one pass over {sizes} sizes: {warm:.0f} MB", flush=True)
        seen: list[float] = []
        for i in range(1, requests + 1):
            assert post(client, node.url, images[i % len(images)]) == 200
            if i % 250 == 0:
                seen.append(node.rss_mb())
                took = time.perf_counter() - started
                print(f"  {i:>5} requests: RSS {seen[-1]:.0f} MB ({took:.0f} s)", flush=True)
    done.set()
    sampler.join()
    last = seen[len(seen) // 2 :] or [warm]
    parts = ", ".join(f"{name} {mb:.0f} MB" for name, mb in node.rss_parts())
    print(
        f"RSS: {warm:.0f} MB after warm-up, {node.rss_mb():.0f} MB after {requests} requests ({parts}); "
        f"last half {min(last):.0f}-{max(last):.0f} MB ({(max(last) / min(last) - 1) * 100:.1f} % spread); "
        f"highest while serving {highest[0]:.0f} MB"
    )


if __name__ == "__main__":
    main()
