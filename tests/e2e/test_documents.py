"""Documents through the real mesh (real Nacos, two real PaddleOCR nodes, the session's `mesh`):
a 12-page mixed Chinese/English PDF with a turned and a blank page, in order through POST /api/ocr
and through a job; a repeat answered by the cache without reaching a node; hostile documents."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mesh.names import OCR_SERVICE
from tests.documents import samples
from tests.e2e.conftest import RunningMesh
from tests.support import render_lines

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def twelve() -> bytes:
    return samples.image_pdf(samples.twelve_page_images())


@pytest.fixture
def client(mesh: RunningMesh, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=mesh.gateway, headers=headers, trust_env=False, timeout=180) as c:
        yield c


def assert_twelve_in_order(pages: list[dict[str, Any]]) -> None:
    assert [p["page"] for p in pages] == list(range(1, 13))
    for page, (_, word) in zip(pages, samples.TWELVE, strict=True):
        assert "error" not in page, page
        if word:
            assert word in samples.compact(page["text"]), (page["page"], page["text"])
        else:
            assert page["text"] == "" and page["lines"] == [], page  # the blank page


def node_requests(mesh: RunningMesh) -> float:
    """OCR requests the nodes themselves counted (their own /metrics, not the gateway's)."""
    total = 0.0
    for proc in mesh.launcher.procs():
        if proc.service == OCR_SERVICE:
            text = httpx.get(f"http://127.0.0.1:{proc.port}/metrics", trust_env=False, timeout=10).text
            total += sum(
                float(ln.rsplit(" ", 1)[1])
                for ln in text.splitlines()
                if ln.startswith("ocr_requests_total{")
            )
    return total


def test_a_twelve_page_pdf_comes_back_in_order_from_both_nodes(client: httpx.Client, twelve: bytes) -> None:
    r = client.post("/api/ocr", files={"image": ("twelve.pdf", twelve, "application/pdf")},
                    headers={"Cache-Control": "no-store"})  # fmt: skip
    assert r.status_code == 200, r.text[:300]
    pages = r.json()["pages"]
    assert_twelve_in_order(pages)
    assert len({p["instance"] for p in pages}) == 2, "the pages were not spread over both nodes"


def test_the_same_pdf_as_a_job(client: httpx.Client, twelve: bytes) -> None:
    r = client.post("/api/jobs", files={"file": ("twelve.pdf", twelve, "application/pdf")},
                    headers={"Cache-Control": "no-store"})  # fmt: skip
    assert r.status_code == 202 and r.json()["pages_total"] == 12
    deadline = time.monotonic() + 240
    while (job := client.get(r.headers["Location"]).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job still {job['state']} at {job['pages_done']}/12"
        time.sleep(0.3)
    assert (job["state"], job["pages_done"]) == ("done", 12)
    assert_twelve_in_order(job["pages"])
    assert r.json()["id"] in [j["id"] for j in client.get("/api/jobs").json()["jobs"]]


def test_a_repeat_is_answered_by_the_cache_without_reaching_a_node(
    mesh: RunningMesh, client: httpx.Client
) -> None:
    image = render_lines([f"Cache check {uuid.uuid4().hex[:6]}"])  # bytes no earlier test sent
    first = client.post("/api/ocr", files={"image": ("c.png", image, "image/png")})
    assert first.status_code == 200 and "X-Cache" not in first.headers
    before = node_requests(mesh)
    again = client.post("/api/ocr", files={"image": ("c.png", image, "image/png")})
    assert again.headers.get("X-Cache") == "hit" and again.json()["text"] == first.json()["text"]
    assert again.json()["request_id"] != first.json()["request_id"]
    assert node_requests(mesh) == before
    metrics = httpx.get(f"{mesh.gateway}/metrics", trust_env=False).text
    assert 'gateway_cache_lookups_total{outcome="hit"}' in metrics


@pytest.mark.parametrize(
    ("name", "document", "status", "code"),
    [
        ("password.pdf", samples.encrypted_pdf(), 400, "encrypted_document"),
        ("5000-pages.pdf", samples.blank_pdf(5000), 413, "too_many_pages"),
        ("garbage.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 1000, 400, "corrupt_document"),
        ("3000-frames.tif", samples.many_frames_tiff(3000), 413, "too_many_pages"),
        ("giant.pdf", samples.blank_pdf(2, (14400, 14400)), 200, None),
        ("javascript.pdf", samples.javascript_pdf(), 200, None),
        ("broken-xref.pdf", samples.broken_xref_pdf(samples.blank_pdf(2)), 200, None),
    ],
)
def test_hostile_documents_get_their_status_and_code(
    client: httpx.Client, name: str, document: bytes, status: int, code: str | None
) -> None:
    for path, field in (("/api/ocr", "image"), ("/api/jobs", "file")):
        r = client.post(path, files={field: (name, document, "application/octet-stream")})
        if code is None:
            assert r.status_code == (202 if path == "/api/jobs" else status), r.text[:300]
            continue
        assert (r.status_code, set(r.json()), r.json()["error"]["code"]) == (status, {"error"}, code)
    assert client.get("/api/instances").status_code == 200  # still serving
