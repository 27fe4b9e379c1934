"""Benchmark: a 24-page PDF read as a job through the mesh, next to the raw library (not a test).

For 1, 2 and 3 OCR instances, in one run and interleaved (raw, mesh, raw, mesh …):
- raw: the plain library call (PaddleOCR.ocr, one CPU thread, the service's models) reading the
  same rendered pages (rendered once, as the gateway renders them) in as many processes, pages
  shared out to whichever is free (`loadtest.physical.RawPool.share`); pages/s from a common start.
- mesh: POST /api/jobs with the PDF to a gateway (result cache off) in front of that many OCR
  nodes; pages/s from submit to done, and the time to the first page's result.
Each line also gives the CPU the rest of the machine used meanwhile, in cores (a busy machine
makes a ratio meaningless, so re-run when it is high), and the CPU seconds a page cost the raw
processes, the OCR nodes (with their model processes) and the gateway (with its renderer).

Each count runs --rounds raw/mesh pairs and ends with a line of their medians.

The default document is a scan, the kind of PDF that needs OCR (a born-digital PDF carries its
text); `--content sparse` is the light extreme, three lines a page, where the fixed cost of a page
(rendering, transport) weighs most (docs/documents.md, Figures).

Run: .venv/bin/python benchmarks/documents.py [--pages 24] [--content scan|sparse]
     [--instances 1,2,3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import io
import statistics
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
from loadtest.image_kinds import scanned_page
from loadtest.mesh import ScaledMesh
from loadtest.physical import RawPool
from loadtest.processes import cpu_seconds
from loadtest.quiet import OtherCpu
from mesh_tools.textimage import render_lines

TEXTS = [
    ["Quarterly report {n}", "Revenue grew by {n} percent", "第 {n} 页 季度报告"],
    ["订单编号 {n} 已发货", "Shipping address Berlin {n}", "Thank you for your order"],
    ["Meeting notes page {n}", "会议纪要 第 {n} 页", "Action items follow below"],
]
PASSWORD = "bench-documents-1"
ROLES = ("ocr-service", "gateway")  # each with its children: model processes, the page renderer
GATEWAY_ENV = {"OCR_MESH_JOB_WORKERS": "8"}  # two pages for each of up to 4 nodes


def document(pages: int, content: str = "scan") -> bytes:
    """A PDF of `pages` pages: `sparse`, three rendered lines of Chinese and English on a white
    1240x1754 page at 150 dpi; `scan`, a scanned A4 page of 44 lines each (image_kinds)."""
    if content == "scan":
        scans = [Image.open(io.BytesIO(scanned_page(seed=n))) for n in range(1, pages + 1)]
        buf = io.BytesIO()
        scans[0].save(buf, "PDF", save_all=True, append_images=scans[1:], resolution=300)
        return buf.getvalue()
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
        location, first, job_id = r.headers["Location"], 0.0, r.json()["id"]
        # Progress from the job list, as the web page polls it, and the pages once when it is done
        # (the whole job every 50 ms: 5 ms of gateway CPU a poll at the end of an 8-page scan, ~0.2
        # CPU-s a page over the run); the interval grows with the run, so the end is seen within
        # 1 % of the time taken.
        while True:
            summary = next(j for j in c.get("/api/jobs").json()["jobs"] if j["id"] == job_id)
            if not first and summary["pages_done"]:
                first = time.perf_counter() - began
            if summary["state"] not in ("queued", "running"):
                break
            time.sleep(min(0.5, max(0.05, (time.perf_counter() - began) / 100)))
        job = c.get(location).json()
        took = time.perf_counter() - began
    assert job["state"] == "done" and job["pages_done"] == len(job["pages"]), job["state"]
    failed = [(p["page"], p["error"]["code"]) for p in job["pages"] if "error" in p]
    assert not failed, f"pages not read, so the run says nothing: {failed}"
    served: dict[str, int] = {}
    for page in job["pages"]:
        served[page.get("instance", "?")] = served.get(page.get("instance", "?"), 0) + 1
    return MeshRun(len(job["pages"]) / took, first, served)


def role_cpu(pids: dict[int, str], role: str) -> float:
    """CPU seconds of the mesh's processes in `role`, with their children."""
    return cpu_seconds([pid for pid, r in pids.items() if r == role])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=24)
    ap.add_argument("--instances", default="1,2,3")
    ap.add_argument("--content", choices=("scan", "sparse"), default="scan", help="see document()")
    ap.add_argument("--rounds", type=int, default=2, help="raw, mesh pairs per instance count")
    args = ap.parse_args()
    counts = [int(n) for n in args.instances.split(",")]
    pdf = document(args.pages, args.content)
    pages = [render_page(pdf, i, RenderLimits()) for i in range(args.pages)]
    print(
        f"{args.pages}-page PDF ({args.content}), {len(pdf) / 1024:.0f} KB; {psutil.cpu_count()} cores",
        flush=True,
    )
    mesh = ScaledMesh(Path(tempfile.mkdtemp(prefix="ocr-mesh-bench-docs-")), gateway_env=GATEWAY_ENV)
    mesh.start(ocr=counts[0], users=1)
    token = mesh.sign_in("bench_docs", PASSWORD)
    try:
        head = f"{'instances':>9} {'raw p/s':>8} {'mesh p/s':>9} {'ratio':>6} {'1st page':>9}"
        print(head + "  other CPU (cores)")
        for count in counts:
            mesh.scale(count, 1)
            mesh_pages_per_second(mesh.url, token, pdf)  # warm every node's engine at this count
            raws: list[float] = []
            runs: list[MeshRun] = []
            with RawPool(count) as pool:
                pool.warm(pages[0])
                pool.share(pages)  # every page's shapes once, as the nodes saw them above
                roles = mesh.pids()
                ours = [*roles, *pool.pids]
                for _ in range(args.rounds):  # interleaved: the machine's speed drifts over minutes
                    raw_before = cpu_seconds(pool.pids)
                    with OtherCpu(ours) as raw_cpu:
                        took, raw_first = pool.share(pages)
                    raw_spent = (cpu_seconds(pool.pids) - raw_before) / len(pages)
                    raws.append(len(pages) / took)
                    before = {role: role_cpu(roles, role) for role in ROLES}
                    with OtherCpu(ours) as mesh_cpu:
                        runs.append(mesh_pages_per_second(mesh.url, token, pdf))
                    spent = {role: (role_cpu(roles, role) - before[role]) / len(pages) for role in ROLES}
                    print(
                        f"{count:>9} {raws[-1]:>8.2f} {runs[-1].pages_per_second:>9.2f} "
                        f"{runs[-1].pages_per_second / raws[-1]:>6.0%} {runs[-1].first_page:>8.2f}s  "
                        f"raw {raw_cpu.cores:.2f}, mesh {mesh_cpu.cores:.2f}; raw 1st page {raw_first:.2f}s; "
                        f"pages per node {sorted(runs[-1].served_by.values())}; CPU-s a page: raw "
                        f"{raw_spent:.3f}, " + ", ".join(f"{role} {spent[role]:.3f}" for role in ROLES),
                        flush=True,
                    )
            raw, ours_ = statistics.median(raws), statistics.median(r.pages_per_second for r in runs)
            first = statistics.median(r.first_page for r in runs)
            print(
                f"{count:>9} {raw:>8.2f} {ours_:>9.2f} {ours_ / raw:>6.0%} {first:>8.2f}s  "
                f"median of {args.rounds} rounds",
                flush=True,
            )
    finally:
        mesh.close()


if __name__ == "__main__":
    main()
