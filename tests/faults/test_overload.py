"""Overload: four times the concurrency that saturates the real OCR nodes, for a minute."""

from __future__ import annotations

import threading
import time

import httpx
import psutil

from mesh.names import GATEWAY, OCR_SERVICE
from mesh_tools.launcher.procs import alive
from tests.faults.conftest import OPEN_LIMITS, FaultMesh
from tests.faults.support import Load, report, start, wait_ready
from tests.support import render_lines

MAX_IN_FLIGHT = 2  # per node, at the gateway: 3 nodes × 2 = 6 requests in flight saturate the mesh
SLOT_WAIT = 1.0  # configured wait for a free slot before 503 overloaded
ATTEMPTS = 3
OVERLOAD_SECONDS = 60
MB = 1024 * 1024
RSS_BOUND = {"ocr-gateway": 600 * MB, OCR_SERVICE: 3500 * MB}


def test_overload_4x_saturation_stays_up_bounded_and_recovers(fault_mesh: FaultMesh) -> None:
    """Real PaddleOCR nodes (3) behind a gateway allowing 2 in flight per node (6 saturate the mesh);
    24 closed-loop clients (4×) for 60 s. Gateway and nodes stay up; RSS of each, sampled every
    second, stays under a fixed bound and does not keep growing; every answer is 200 or 503/429 in
    the error shape, each 503 within the configured waits (attempts × slot wait + 2 s slack, versus
    the 30 s default slot wait); a normal request succeeds right after."""
    m = fault_mesh
    env = OPEN_LIMITS | {
        "OCR_MESH_OCR_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT),
        "OCR_MESH_OCR_SLOT_WAIT": str(SLOT_WAIT),
        "OCR_MESH_MAX_ATTEMPTS": str(ATTEMPTS),
    }
    gw = start(m.launcher, GATEWAY, env=env)
    try:
        wait_ready(m.launcher, [gw], timeout=60)
        gateway = f"http://127.0.0.1:{gw.port}"
        watched = {f"{p.service}:{p.port}": (p.service, psutil.Process(p.pid)) for p in [gw, *m.ocr]}
        samples: dict[str, list[int]] = {k: [] for k in watched}
        done = threading.Event()

        def sample() -> None:
            while not done.wait(1.0):
                for name, (_, proc) in watched.items():
                    try:
                        samples[name].append(proc.memory_info().rss)
                    except psutil.Error:
                        samples[name].append(-1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        image = render_lines(["Overload test line one", "第二行 文字 2026", "third line 333"], size=28)
        with Load(
            gateway,
            m.token,
            image,
            concurrency=4 * 3 * MAX_IN_FLIGHT,
            max_seconds=OVERLOAD_SECONDS,
            timeout=90,
        ) as load:
            time.sleep(OVERLOAD_SECONDS)
        done.set()
        sampler.join(5)
        fresh = {"Authorization": f"Bearer {m.token}", "Cache-Control": "no-store"}  # a node answers
        with httpx.Client(base_url=gateway, headers=fresh, trust_env=False, timeout=60) as c:
            after = c.post("/api/ocr", files={"image": ("ok.png", image, "image/png")})
        statuses = load.statuses()
        rejected = [o for o in load.outcomes if o.status in (503, 429)]
        bound = ATTEMPTS * SLOT_WAIT + 2.0
        rss = {k: (max(v) // MB, v[len(v) // 2] // MB, v[-1] // MB) for k, v in samples.items() if v}
        report(
            "overload",
            f"{load.summary()}; 503/429: {len(rejected)}, slowest "
            f"{max((o.seconds for o in rejected), default=0):.2f} s (bound {bound:.0f} s); "
            f"RSS MB (max, middle, end): {rss}; after: {after.status_code}",
        )
        assert after.status_code == 200, after.text
        assert set(statuses) <= {200, 503, 429}, statuses
        assert statuses[200] > 20 and rejected, statuses
        assert all(o.code in ("overloaded", "rate_limited", "queue_full", "no_instance") for o in rejected), {
            o.code for o in rejected
        }
        assert max(o.seconds for o in rejected) <= bound
        for p in [gw, *m.ocr]:
            assert alive(p.pid), p
            assert (
                httpx.get(f"http://127.0.0.1:{p.port}/health", trust_env=False, timeout=10).status_code == 200
            )
        for name, values in samples.items():
            service = watched[name][0]
            assert min(values) > 0, f"{name} went away during the overload"
            assert max(values) < RSS_BOUND[service], (name, max(values) // MB)
            half = values[: max(1, len(values) // 2)]
            assert values[-1] <= max(half) * 1.25 + 100 * MB, (name, rss[name])
    finally:
        m.launcher.stop_service(gw)
