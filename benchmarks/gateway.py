"""Benchmark: what the gateway costs, measured side by side in one run (not a test).

Starts a real mesh (Nacos, 1 user-service, 2 ocr-service, gateway) in a temp data folder
and prints: time from `up` to ready, RSS of every process, the gateway's added latency
(gateway path minus direct path, median and p99) on a small answer (/auth/me) and on a real
OCR answer, and the gateway's CPU seconds per 1,000 proxied OCR requests next to the OCR
instances' CPU at saturation.

Run: .venv/bin/python benchmarks/gateway.py [--small 400] [--ocr 40] [--saturate 200]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
from PIL import Image, ImageDraw, ImageFont

from mesh.names import GATEWAY, OCR_SERVICE
from mesh_tools.launcher.launcher import Launcher, Proc

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def card() -> bytes:
    """A 900×420 card with four lines of Chinese and English, like the course project's sample."""
    img = Image.new("RGB", (900, 420), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 34)
    lines = [
        "OCR Mesh 微服务网关",
        "光学字符识别 PaddleOCR",
        "Spring Cloud Gateway → FastAPI",
        "电话 010-12345678",
    ]
    for i, line in enumerate(lines):
        draw.text((40, 40 + i * 90), line, fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def paired(
    direct: httpx.Client, gateway: httpx.Client, n: int, send: object
) -> tuple[list[float], list[float]]:
    """Alternate direct and gateway calls so both see the same machine state."""
    d, g = [], []
    for _ in range(n):
        for client, out in ((direct, d), (gateway, g)):
            t = time.perf_counter()
            r = send(client)  # type: ignore[operator]
            out.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
    return d, g


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=400)
    ap.add_argument("--ocr", type=int, default=40)
    ap.add_argument("--saturate", type=int, default=200)
    args = ap.parse_args()
    # Overhead is measured, not capacity: the per-user rate limit (20/s) would refuse the paired loop.
    os.environ["OCR_MESH_RATE_PER_USER"] = "0"
    os.environ["OCR_MESH_RESULT_CACHE_MB"] = "0"  # measure the path to a node, not the result cache
    data = Path(tempfile.mkdtemp(prefix="ocr-mesh-bench-"))
    launcher = Launcher(data, nacos_port=48848)
    print(f"starting Nacos ({launcher.nacos.kind}) …", flush=True)
    t0 = time.perf_counter()
    launcher.nacos.start()
    t_nacos = time.perf_counter() - t0
    t1 = time.perf_counter()
    procs = launcher.up(ocr=2, users=1, gateway_port=48080)
    t_services = time.perf_counter() - t1
    try:
        run(launcher, procs, t_nacos, t_services, args)
    finally:
        launcher.down()
        launcher.nacos.stop()


def run(
    launcher: Launcher, procs: list[Proc], t_nacos: float, t_services: float, args: argparse.Namespace
) -> None:
    by = {p.service: [q for q in procs if q.service == p.service] for p in procs}
    gw = f"http://127.0.0.1:{by['ocr-gateway'][0].port}"
    user = f"http://127.0.0.1:{by['user-service'][0].port}"
    ocr = f"http://127.0.0.1:{by['ocr-service'][0].port}"
    print(f"\nup → ready: Nacos {t_nacos:.1f} s, then services + gateway {t_services:.1f} s")

    creds = {"username": "bench", "password": "bench-password-1"}
    with httpx.Client(base_url=gw, trust_env=False, timeout=60) as c:
        c.post("/api/auth/register", json=creds)
        token = c.post("/api/auth/login", json=creds).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    image = card()
    nacos_pid = launcher.nacos.running_pid()

    print("\nRSS after start (MB):")
    for p in procs:
        print(f"  {p.service:<13} :{p.port}  {psutil.Process(p.pid).memory_info().rss / 2**20:7.0f}")
    if nacos_pid:
        print(f"  {'nacos':<13}        {psutil.Process(nacos_pid).memory_info().rss / 2**20:7.0f}")

    with (
        httpx.Client(trust_env=False, timeout=60, headers=auth) as direct,
        httpx.Client(trust_env=False, timeout=60, headers=auth) as via,
    ):
        direct.base_url, via.base_url = httpx.URL(user), httpx.URL(gw)
        for _ in range(20):
            direct.get("/auth/me"), via.get("/api/auth/me")
        d, g = paired(direct, via, args.small, lambda c: c.get("/auth/me" if c is direct else "/api/auth/me"))
        added = [b - a for a, b in zip(d, g, strict=True)]
        print(f"\nsmall answer (/auth/me), {args.small} pairs:")
        print(f"  direct  median {statistics.median(d):6.2f} ms  p99 {percentile(d, 0.99):6.2f} ms")
        print(f"  gateway median {statistics.median(g):6.2f} ms  p99 {percentile(g, 0.99):6.2f} ms")
        print(f"  added   median {statistics.median(added):6.2f} ms  p99 {percentile(added, 0.99):6.2f} ms")

        direct.base_url = httpx.URL(ocr)
        files = {"image": ("card.png", image, "image/png")}
        for _ in range(3):
            direct.post("/ocr", files=files)
        d, g = paired(
            direct, via, args.ocr, lambda c: c.post("/ocr" if c is direct else "/api/ocr", files=files)
        )
        added = [b - a for a, b in zip(d, g, strict=True)]
        print(f"\nreal OCR answer (900×420 card), {args.ocr} pairs (gateway spreads over 2 nodes):")
        print(f"  direct  median {statistics.median(d):7.1f} ms  p99 {percentile(d, 0.99):7.1f} ms")
        print(f"  gateway median {statistics.median(g):7.1f} ms  p99 {percentile(g, 0.99):7.1f} ms")
        print(f"  added   median {statistics.median(added):7.1f} ms  p99 {percentile(added, 0.99):7.1f} ms")

    gw_pid = by[GATEWAY][0].pid
    ocr_pids = [p.pid for p in by[OCR_SERVICE]]
    before_gw, before_ocr = cpu_seconds(gw_pid), sum(cpu_seconds(p) for p in ocr_pids)
    start = time.perf_counter()
    with (
        httpx.Client(base_url=gw, trust_env=False, timeout=120, headers=auth) as c,
        ThreadPoolExecutor(8) as pool,
    ):
        statuses = list(pool.map(lambda _: c.post("/api/ocr", files=files).status_code, range(args.saturate)))
    wall = time.perf_counter() - start
    gw_cpu = cpu_seconds(gw_pid) - before_gw
    ocr_cpu = sum(cpu_seconds(p) for p in ocr_pids) - before_ocr
    ok = statuses.count(200)
    rate = f"{ok / wall:.2f}/s, {ok} ok"
    print(f"\nsaturation: {args.saturate} OCR requests at concurrency 8 in {wall:.1f} s ({rate})")
    print(f"  gateway CPU {gw_cpu:.2f} s = {gw_cpu / ok * 1000:.1f} s per 1,000 requests")
    print(f"  OCR nodes CPU {ocr_cpu:.1f} s; gateway / OCR = {gw_cpu / ocr_cpu * 100:.2f} %")
    print("\nRSS after the run (MB):")
    for p in procs:
        print(f"  {p.service:<13} :{p.port}  {psutil.Process(p.pid).memory_info().rss / 2**20:7.0f}")


if __name__ == "__main__":
    main()
