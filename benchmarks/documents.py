"""Benchmark: a 24-page PDF read as a job through the mesh, next to the raw library (not a test).

For 1, 2 and 3 OCR instances, in one run and interleaved (raw, mesh, raw, mesh …):
- raw: the plain library call (PaddleOCR.ocr, one CPU thread, the service's models) reading the
  same rendered pages (rendered once, as the gateway renders them) in as many processes, pages
  shared out to whichever is free (`loadtest.physical.RawPool.share`); pages/s from a common start.
- mesh: POST /api/jobs with the PDF to a gateway (result cache off) in front of that many OCR
  nodes; pages/s from submit to done, and the time to the first page's result.
Each line also gives the CPU the rest of the machine used meanwhile, in cores: a busy machine
makes a ratio meaningless, so re-run when it is high.

Run: .venv/bin/python benchmarks/documents.py [--pages 24] [--instances 1,2,3]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from PIL import Image

# The repository first: this folder's own gateway.py would otherwise shadow the gateway package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.documents.pages import RenderLimits, render_page
from loadtest.mesh import ScaledMesh
from loadtest.physical import RawPool
from loadtest.quiet import OtherCpu
from mesh_tools.textimage import render_lines

TEXTS = [
    ["Quarterly report {n}", "Revenue grew by {n} percent", "第 {n} 页 季度报告"],
    ["订单编号 {n} 已发货", "Shipping address Berlin {n}", "Thank you for your order"],
    ["Meeting notes page {n}", "会议纪要 第 {n} 页", "Action items follow below"],
]
PASSWORD = "bench-documents-1"
GATEWAY_ENV = {"OCR_MESH_JOB_WORKERS": "8"}  # enough pages in flight for 3 nodes


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=24)
    ap.add_argument("--instances", default="1,2,3")
    args = ap.parse_args()
    counts = [int(n) for n in args.instances.split(",")]
    pdf = document(args.pages)
    pages = [render_page(pdf, i, RenderLimits()) for i in range(args.pages)]
    print(f"{args.pages}-page PDF, {len(pdf) / 1024:.0f} KB; {psutil.cpu_count()} cores", flush=True)
    mesh = ScaledMesh(Path(tempfile.mkdtemp(prefix="ocr-mesh-bench-docs-")), gateway_env=GATEWAY_ENV)
    mesh.start(ocr=counts[0], users=1)
    token = mesh.sign_in("bench_docs", PASSWORD)
    try:
        head = f"{'instances':>9} {'raw p/s':>8} {'mesh p/s':>9} {'ratio':>6} {'1st page':>9}"
        print(head + "  other CPU (cores)")
        for count in counts:
            mesh.scale(count, 1)
            mesh_pages_per_second(mesh.url, token, pdf)  # warm every node's engine at this count
            with RawPool(count) as pool:
                pool.warm(pages[0])
                ours = [*mesh.pids(), *pool.pids]
                with OtherCpu(ours) as raw_cpu:
                    took, raw_first = pool.share(pages)
            with OtherCpu(ours) as mesh_cpu:
                run = mesh_pages_per_second(mesh.url, token, pdf)
            raw = len(pages) / took
            print(
                f"{count:>9} {raw:>8.2f} {run.pages_per_second:>9.2f} {run.pages_per_second / raw:>6.0%} "
                f"{run.first_page:>8.2f}s  raw {raw_cpu.cores:.2f}, mesh {mesh_cpu.cores:.2f}; "
                f"raw 1st page {raw_first:.2f}s; pages per node {sorted(run.served_by.values())}",
                flush=True,
            )
    finally:
        mesh.close()


if __name__ == "__main__":
    main()
