"""A job outlives an OCR node SIGKILLed and its gateway SIGKILLed and restarted: it completes with
every page exactly once, in order. This test owns processes: it kills one of the fault mesh's
nodes (the fixture restarts it) and the mesh's gateway, which it restarts here on the same port."""

from __future__ import annotations

import os
import signal
import time

import httpx

from mesh.names import GATEWAY
from mesh_tools.launcher.procs import alive
from tests.documents import samples
from tests.faults.conftest import GATEWAY_ENV, FaultMesh
from tests.faults.support import report, wait_for, wait_ready

COPIES = 3  # 36 pages: long enough on three nodes that both kills land mid-job


def test_a_job_survives_a_killed_node_and_a_killed_gateway(fault_mesh: FaultMesh) -> None:
    m = fault_mesh
    pdf = samples.image_pdf(samples.twelve_page_images() * COPIES)
    headers = {"Authorization": f"Bearer {m.token}"}
    with httpx.Client(base_url=m.gateway, headers=headers, trust_env=False, timeout=60) as client:
        r = client.post("/api/jobs", files={"file": ("36.pdf", pdf, "application/pdf")})
        assert r.status_code == 202, r.text[:300]
        location, total = r.headers["Location"], r.json()["pages_total"]

        def done() -> int:
            return int(client.get(location).json()["pages_done"])

        wait_for(lambda: done() >= 2, 120, "the first pages read", every=0.05)
        os.kill(m.ocr[0].pid, signal.SIGKILL)
        wait_for(lambda: done() >= 6, 120, "pages read after the node died", every=0.05)
        at_kill = done()
        assert at_kill < total, "the job ended before the gateway could be killed"
        old = m.gateway_proc
        os.kill(old.pid, signal.SIGKILL)
        wait_for(lambda: not alive(old.pid), 10, "the gateway dying")
        m.launcher.stop_service(old)
        started = time.monotonic()
        m.gateway_proc = m.launcher.start_service(GATEWAY, old.port, extra_env=GATEWAY_ENV)
        wait_ready(m.launcher, [m.gateway_proc], timeout=120)
        deadline = time.monotonic() + 240
        while (job := client.get(location).json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, f"job still {job['state']} at {job['pages_done']}/{total}"
            time.sleep(0.2)
    assert (job["state"], job["pages_done"], total) == ("done", 36, 36)
    assert [p["page"] for p in job["pages"]] == list(range(1, 37))
    words = [word for _, word in samples.TWELVE] * COPIES
    for page, word in zip(job["pages"], words, strict=True):
        assert "error" not in page and word in samples.compact(page["text"]), page
    report(
        "jobs",
        f"36 pages: node killed at 2, gateway at {at_kill}; done {time.monotonic() - started:.1f} s later",
    )
