"""Benchmark: a 24-page PDF read as a job through the mesh, next to the raw library (not a test).

For 1, 2 and 3 OCR instances, in one run and interleaved (raw, mesh, raw, mesh …):
- raw: the plain library call (PaddleOCR.ocr, one CPU thread, the service's models) reading the
  same rendered pages (rendered once, as the gateway renders them) in as many processes, pages
  shared out through a queue; pages/s from a common start.
- mesh: POST /api/jobs with the PDF to a gateway (result cache off) in front of that many OCR
  nodes; pages/s from submit to done, and the time to the first page's result.
Each line also gives the CPU the rest of the machine used meanwhile, in cores: a busy machine
makes a ratio meaningless, so re-run when it is high.

Run: .venv/bin/python benchmarks/documents.py [--pages 24] [--instances 1,2,3]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import psutil
from PIL import Image

# The repository first: this folder's own gateway.py would otherwise shadow the gateway package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.documents.pages import RenderLimits, render_page
from loadtest.quiet import OtherCpu
from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.launcher import Launcher, Proc
from mesh_tools.textimage import render_lines
from ocr_service.config import OcrSettings
from ocr_service.engines.paddle import build_paddle_ocr

TEXTS = [
    ["Quarterly report {n}", "Revenue grew by {n} percent", "第 {n} 页 季度报告"],
    ["订单编号 {n} 已发货", "Shipping address Berlin {n}", "Thank you for your order"],
    ["Meeting notes page {n}", "会议纪要 第 {n} 页", "Action items follow below"],
]
PASSWORD = "bench-documents-1"


def document(pages: int) -> bytes:
    """A PDF of `pages` rendered text pages, Chinese and English (A5-ish at 150 dpi)."""
    images = []
    for n in range(1, pages + 1):
        lines = [line.format(n=n) for line in TEXTS[n % len(TEXTS)]]
        text = Image.open(io.BytesIO(render_lines(lines, size=34))).convert("RGB")
        page = Image.new("RGB", (1240, 1754), "white")
        page.paste(text, (80, 120))
        images.append(page)
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=150)
    return buf.getvalue()


def _raw_worker(pages: list[bytes], queue: Any, start: Any, done: Any) -> None:
    settings = OcrSettings(nacos_enabled=False, cpu_threads=1)
    ocr = build_paddle_ocr(settings)
    ocr.ocr(cv2.imdecode(np.frombuffer(pages[0], np.uint8), cv2.IMREAD_COLOR), cls=True)  # warm
    start.wait()
    while True:
        index = queue.get()
        if index is None:
            break
        # Decoding is part of the work: any real service decodes what it is sent.
        ocr.ocr(cv2.imdecode(np.frombuffer(pages[index], np.uint8), cv2.IMREAD_COLOR), cls=True)
        done.put(time.perf_counter())


def raw_pages_per_second(pages: list[bytes], processes: int) -> tuple[float, float]:
    """Pages/s of `processes` library processes sharing the pages; seconds to the first page."""
    ctx = mp.get_context("spawn")
    queue, done, start = ctx.Queue(), ctx.Queue(), ctx.Barrier(processes + 1)
    for i in range(len(pages)):
        queue.put(i)
    for _ in range(processes):
        queue.put(None)
    workers = [ctx.Process(target=_raw_worker, args=(pages, queue, start, done)) for _ in range(processes)]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    finished = [done.get() for _ in pages]
    for w in workers:
        w.join()
    return len(pages) / (max(finished) - began), min(finished) - began


@dataclass
class MeshRun:
    pages_per_second: float
    first_page: float
    served_by: dict[str, int]


def mesh_pages_per_second(gateway: str, token: str, pdf: bytes) -> MeshRun:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=gateway, headers=headers, trust_env=False, timeout=120) as c:
        began = time.perf_counter()
        r = c.post("/api/jobs", files={"file": ("bench.pdf", pdf, "application/pdf")})
        assert r.status_code == 202, r.text
        location, first = r.headers["Location"], 0.0
        while True:
            job = c.get(location).json()
            if not first and job["pages_done"]:
                first = time.perf_counter() - began
            if job["state"] not in ("queued", "running"):
                break
            time.sleep(0.05)
        took = time.perf_counter() - began
    assert job["state"] == "done" and job["pages_done"] == len(job["pages"]), job["state"]
    served: dict[str, int] = {}
    for page in job["pages"]:
        served[page.get("instance", "?")] = served.get(page.get("instance", "?"), 0) + 1
    return MeshRun(len(job["pages"]) / took, first, served)


def start_mesh(data: Path) -> tuple[Launcher, str, str]:
    launcher = Launcher(data, nacos_port=13848)
    launcher.nacos.start()
    env = {"OCR_MESH_RESULT_CACHE_MB": "0", "OCR_MESH_RATE_PER_USER": "0", "OCR_MESH_RATE_PER_CLIENT": "0"}
    users = launcher.start_service(USER_SERVICE)
    gw = launcher.start_service(GATEWAY, extra_env=env | {"OCR_MESH_JOB_WORKERS": "8"})
    launcher.wait_ready([users, gw])
    gateway = f"http://127.0.0.1:{gw.port}"
    with httpx.Client(base_url=gateway, trust_env=False, timeout=30) as c:
        c.post("/api/auth/register", json={"username": "bench_docs", "password": PASSWORD})
        token = c.post("/api/auth/login", json={"username": "bench_docs", "password": PASSWORD}).json()[
            "access_token"
        ]
    return launcher, gateway, token


def scale_to(launcher: Launcher, nodes: list[Proc], count: int, gateway: str, token: str) -> None:
    while len(nodes) < count:
        nodes.append(launcher.start_service(OCR_SERVICE))
    launcher.wait_ready(nodes)
    deadline = time.monotonic() + 60
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        listed = httpx.get(f"{gateway}/api/instances", headers=headers, trust_env=False).json()["services"]
        if sum(1 for i in listed.get(OCR_SERVICE, []) if i["healthy"] and not i["ejected"]) == count:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the gateway never saw {count} OCR nodes")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=24)
    ap.add_argument("--instances", default="1,2,3")
    args = ap.parse_args()
    counts = [int(n) for n in args.instances.split(",")]
    pdf = document(args.pages)
    pages = [render_page(pdf, i, RenderLimits()) for i in range(args.pages)]
    print(f"{args.pages}-page PDF, {len(pdf) / 1024:.0f} KB; {psutil.cpu_count()} cores", flush=True)
    launcher, gateway, token = start_mesh(Path(tempfile.mkdtemp(prefix="ocr-mesh-bench-docs-")))
    nodes: list[Proc] = []
    try:
        head = f"{'instances':>9} {'raw p/s':>8} {'mesh p/s':>9} {'ratio':>6} {'1st page':>9}"
        print(head + "  other CPU (cores)")
        for count in counts:
            scale_to(launcher, nodes, count, gateway, token)
            mesh_pages_per_second(gateway, token, pdf)  # warm every node's engine at this count
            nacos = launcher.nacos.running_pid()
            ours = [p.pid for p in launcher.procs()] + ([nacos] if nacos else [])
            with OtherCpu(ours) as raw_cpu:
                raw, raw_first = raw_pages_per_second(pages, count)
            with OtherCpu(ours) as mesh_cpu:
                run = mesh_pages_per_second(gateway, token, pdf)
            print(
                f"{count:>9} {raw:>8.2f} {run.pages_per_second:>9.2f} {run.pages_per_second / raw:>6.0%} "
                f"{run.first_page:>8.2f}s  raw {raw_cpu.cores:.2f}, mesh {mesh_cpu.cores:.2f}; "
                f"raw 1st page {raw_first:.2f}s; pages per node {sorted(run.served_by.values())}",
                flush=True,
            )
    finally:
        for p in launcher.procs():
            launcher.stop_service(p)
        launcher.nacos.stop()


if __name__ == "__main__":
    main()
