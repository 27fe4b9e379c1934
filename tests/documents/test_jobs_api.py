"""/api/jobs through the real gateway app in process: 202 + Location, progress, page order,
ownership (404 for anyone else), cancel, expiry, and a restart of the gateway mid-job."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.documents import samples
from tests.documents.rig import FakeNodes, auth, gateway_rig, png

pytestmark = pytest.mark.timeout(60)


async def wait_job(
    client: httpx.AsyncClient, location: str, user: str = "alice", timeout: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = (await client.get(location, headers=auth(user))).json()
        if job["state"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, (
            f"the job is still {job['state']}: {job['pages_done']}/{job['pages_total']}"
        )
        await asyncio.sleep(0.02)


def pdf(widths: list[int]) -> bytes:
    return samples.image_pdf([Image.new("RGB", (w, 50), "white") for w in widths])


async def test_a_job_reads_every_page_in_order_and_only_its_owner_sees_it(tmp_path: Path) -> None:
    widths = [400 + 20 * i for i in range(10)]
    async with gateway_rig(tmp_path) as (client, _, nodes):
        files = {"file": ("d.pdf", pdf(widths), "application/pdf")}
        r = await client.post("/api/jobs?detail=text", files=files, headers=auth("alice"))
        assert r.status_code == 202 and r.headers["Location"] == f"/api/jobs/{r.json()['id']}"
        assert (r.json()["state"], r.json()["pages_total"]) == ("queued", 10)
        job = await wait_job(client, r.headers["Location"])
        assert (job["state"], job["pages_done"], job["pages_total"]) == ("done", 10, 10)
        assert [p["page"] for p in job["pages"]] == list(range(1, 11))
        assert [int(p["text"].split("x")[0]) for p in job["pages"]] == pytest.approx(widths, abs=2)
        assert all({"instance", "timings_ms"} <= set(p) and "lines" not in p for p in job["pages"])
        assert len(nodes.hits) == 2 and set(nodes.queries) == {"detail=text"}
        for method in ("GET", "DELETE"):
            other = await client.request(method, r.headers["Location"], headers=auth("mallory"))
            assert (other.status_code, other.json()["error"]["code"]) == (404, "job_not_found")
        assert (await client.get("/api/jobs", headers=auth("mallory"))).json() == {"jobs": []}
        mine = (await client.get("/api/jobs", headers=auth("alice"))).json()["jobs"]
        assert [j["id"] for j in mine] == [job["id"]] and "pages" not in mine[0]


async def settled(nodes: FakeNodes) -> int:
    """The requests the nodes hold, once no new one has come for 0.3 s."""
    seen = -1
    while seen != sum(nodes.hits.values()):
        seen = sum(nodes.hits.values())
        await asyncio.sleep(0.3)
    return sum(nodes.in_flight.values())


@pytest.mark.parametrize(("per_instance", "held"), [(2, 2), (0, 4)])
async def test_a_job_sends_each_instance_its_share_of_pages_and_keeps_the_rest_queued(
    tmp_path: Path, per_instance: int, held: int
) -> None:
    """One page being read and one ready per instance: more would only wait in the node's queue,
    into the deadline, where no other instance can take them (0 lifts the bound, leaving the
    balancer's own cap of ocr_max_in_flight=4 requests an instance)."""
    async with gateway_rig(tmp_path, nodes=1, job_workers=8, job_pages_per_instance=per_instance) as (
        client,
        _,
        nodes,
    ):
        nodes.open.clear()
        files = {"file": ("d.pdf", pdf([300 + i for i in range(12)]), "application/pdf")}
        r = await client.post("/api/jobs", files=files, headers=auth("alice"))
        assert await settled(nodes) == held
        nodes.open.set()
        job = await wait_job(client, r.headers["Location"])
        assert (job["state"], job["pages_done"]) == ("done", 12) and max(nodes.peak.values()) == held


async def test_a_page_whose_try_failed_for_a_passing_reason_is_read_again(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path, nodes=1, job_max_attempts=3) as (client, gateway, nodes):
        nodes.busy = 2  # two tries find the only node's queue full; the third reads the page
        files = {"file": ("d.pdf", pdf([333]), "application/pdf")}
        job = await wait_job(
            client, (await client.post("/api/jobs", files=files, headers=auth("alice"))).headers["Location"]
        )
        assert (job["state"], job["pages"][0]["text"]) == ("done", "333x50")
        requeued = gateway.jobs.metrics.pages.labels("job", "requeued")._value.get()
        assert requeued == 2 and sum(nodes.hits.values()) == 3
        nodes.busy = 3  # ... and a page that never finds room fails with the reason after its tries
        files = {"file": ("e.pdf", pdf([444]), "application/pdf")}
        job = await wait_job(
            client, (await client.post("/api/jobs", files=files, headers=auth("alice"))).headers["Location"]
        )
        assert job["state"] == "failed" and job["pages"][0]["error"]["code"] == "upstream_unavailable"


async def test_several_images_make_one_job_and_bad_submissions_are_refused(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path, max_pages=5) as (client, _, _):
        files = [("image", (f"{w}.png", png(w), "image/png")) for w in (61, 62, 63)]
        r = await client.post("/api/jobs", files=files, headers=auth("alice"))
        job = await wait_job(client, r.headers["Location"])
        assert [p["text"] for p in job["pages"]] == ["61x40", "62x40", "63x40"]
        too_many = await client.post(
            "/api/jobs", files={"file": ("x.pdf", samples.blank_pdf(6))}, headers=auth("a")
        )
        assert (too_many.status_code, too_many.json()["error"]["code"]) == (413, "too_many_pages")
        locked = await client.post(
            "/api/jobs", files={"file": ("x.pdf", samples.encrypted_pdf())}, headers=auth("a")
        )
        assert (locked.status_code, locked.json()["error"]["code"]) == (400, "encrypted_document")
        nothing = await client.post("/api/jobs", files={"other": ("x", b"x")}, headers=auth("a"))
        assert nothing.status_code == 422
        anonymous = await client.post("/api/jobs", files={"file": ("x.pdf", samples.blank_pdf(1))})
        assert anonymous.status_code == 401


async def test_cancel_stops_the_pages_not_yet_read(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path, job_workers=1) as (client, gateway, _):
        for endpoint in gateway.ocr.endpoints():  # nowhere to read: pages wait in the queue
            endpoint.instance = endpoint.instance.__class__(
                endpoint.instance.service, "127.0.0.1", 1, enabled=False
            )
        r = await client.post("/api/jobs", files={"file": ("d.pdf", pdf([100] * 4))}, headers=auth("alice"))
        assert (await client.delete(r.headers["Location"], headers=auth("alice"))).status_code == 204
        job = await wait_job(client, r.headers["Location"])
        assert job["state"] == "cancelled" and job["pages_done"] <= 1


async def test_jobs_expire(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path, job_ttl_seconds=0.3) as (client, _, _):
        r = await client.post("/api/jobs", files={"image": ("a.png", png(30))}, headers=auth("alice"))
        await wait_job(client, r.headers["Location"])
        deadline = time.monotonic() + 10
        while (await client.get(r.headers["Location"], headers=auth("alice"))).status_code != 404:
            assert time.monotonic() < deadline, "the job never expired"
            await asyncio.sleep(0.05)


async def test_a_gateway_restart_mid_job_loses_nothing(tmp_path: Path) -> None:
    """The first gateway stops with pages in hand; the second finishes, each page exactly once."""
    widths = [300 + i for i in range(12)]
    async with gateway_rig(tmp_path, job_workers=2) as (client, _, nodes):
        r = await client.post("/api/jobs", files={"file": ("d.pdf", pdf(widths))}, headers=auth("alice"))
        location = r.headers["Location"]
        while (await client.get(location, headers=auth("alice"))).json()["pages_done"] < 2:
            await asyncio.sleep(0.01)
    async with gateway_rig(tmp_path) as (client, _, _):
        job = await wait_job(client, location)
    assert [p["page"] for p in job["pages"]] == list(range(1, 13)) and job["state"] == "done"
    assert sum(nodes.hits.values()) >= 2
