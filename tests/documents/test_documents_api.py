"""POST /api/ocr with documents and several images, and the result cache, through the real gateway
app in process against loopback OCR-shaped nodes (milliseconds; the real mesh is in tests/e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.documents import samples
from tests.documents.rig import auth, gateway_rig, png

pytestmark = pytest.mark.timeout(60)


def widths_pdf(widths: list[int]) -> bytes:
    return samples.image_pdf([Image.new("RGB", (w, 60), "white") for w in widths])


def texts(pages: list[dict[str, object]]) -> list[object]:
    return [p.get("text", p.get("error")) for p in pages]


async def test_one_image_keeps_its_shape_and_a_repeat_comes_from_the_cache(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path) as (client, _, nodes):
        files = {"image": ("a.png", png(123), "image/png")}
        first = await client.post("/api/ocr", files=files, headers=auth("alice") | {"X-Request-ID": "one"})
        assert first.status_code == 200 and "pages" not in first.json()
        assert (first.json()["text"], first.json()["request_id"]) == ("123x40", "one")
        assert first.headers["X-Served-By"] == first.json()["instance"]
        second = await client.post("/api/ocr", files=files, headers=auth("alice") | {"X-Request-ID": "two"})
        assert (second.json()["text"], second.json()["request_id"]) == ("123x40", "two")
        assert second.headers["X-Cache"] == "hit" and sum(nodes.hits.values()) == 1
        fresh = await client.post(
            "/api/ocr", files=files, headers=auth("alice") | {"Cache-Control": "no-store"}
        )
        assert fresh.status_code == 200 and "X-Cache" not in fresh.headers and sum(nodes.hits.values()) == 2
        other = await client.post("/api/ocr?detail=text", files=files, headers=auth("alice"))
        assert "lines" not in other.json() and sum(nodes.hits.values()) == 3  # options are in the key
        metrics = (await client.get("/metrics")).text
        assert 'gateway_cache_lookups_total{outcome="hit"} 1.0' in metrics


async def test_the_cache_never_answers_one_user_with_another_users_upload(tmp_path: Path) -> None:
    """A hit for bob on alice's upload would tell bob, through its speed and X-Cache, what she sent."""
    async with gateway_rig(tmp_path) as (client, _, nodes):
        files = {"image": ("a.png", png(77), "image/png")}
        for user, hits in (("alice", 1), ("bob", 2), ("bob", 2), ("alice", 2)):
            r = await client.post("/api/ocr", files=files, headers=auth(user))
            assert r.status_code == 200 and sum(nodes.hits.values()) == hits, (user, hits)
        assert "X-Cache" not in (await client.post("/api/ocr", files=files, headers=auth("carol"))).headers


async def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    async with gateway_rig(tmp_path, result_cache_mb=0) as (client, _, nodes):
        for _ in range(2):
            await client.post("/api/ocr", files={"image": ("a.png", png(50), "image/png")}, headers=auth("a"))
        assert sum(nodes.hits.values()) == 2


async def test_a_pdf_is_read_across_the_nodes_and_answered_in_page_order(tmp_path: Path) -> None:
    widths = [300 + 10 * i for i in range(8)]
    async with gateway_rig(tmp_path) as (client, _, nodes):
        r = await client.post("/api/ocr", files={"image": ("d.pdf", widths_pdf(widths), "application/pdf")},
                              headers=auth("alice"))  # fmt: skip
        body = r.json()
        assert r.status_code == 200 and set(body) == {"request_id", "pages", "timings_ms"}
        assert [p["page"] for p in body["pages"]] == list(range(1, 9))
        assert [int(str(t).split("x")[0]) for t in texts(body["pages"])] == pytest.approx(widths, abs=2)
        assert len({p["instance"] for p in body["pages"]}) == 2 and len(nodes.hits) == 2
        assert {"lines", "qr_codes", "image", "timings_ms", "instance"} <= set(body["pages"][0])


async def test_several_images_and_a_tiff_are_pages_in_order(tmp_path: Path) -> None:
    tiff = samples.image_tiff([Image.new("L", (90 + i, 30), 255) for i in range(3)])
    files = [("image", ("a.png", png(70), "image/png")), ("image", ("b.tif", tiff, "image/tiff")),
             ("image", ("c.png", png(80), "image/png"))]  # fmt: skip
    async with gateway_rig(tmp_path) as (client, _, _):
        r = await client.post("/api/ocr?detail=text", files=files, headers=auth("alice"))
        pages = r.json()["pages"]
        assert texts(pages) == ["70x40", "90x30", "91x30", "92x30", "80x40"]
        assert all("lines" not in p for p in pages)


async def test_a_page_whose_node_dies_is_read_elsewhere_and_a_refused_page_has_its_own_error(
    tmp_path: Path,
) -> None:
    widths = [200 + i for i in range(6)]
    async with gateway_rig(tmp_path, ocr_strategy="round_robin") as (client, gateway, nodes):
        dead = gateway.ocr.endpoints()[0].instance
        nodes.dying.add(dead.port)
        nodes.refuse_width = 203
        files = [("image", (f"{w}.png", png(w), "image/png")) for w in widths]
        pages = (await client.post("/api/ocr", files=files, headers=auth("alice"))).json()["pages"]
        assert [p["page"] for p in pages] == [1, 2, 3, 4, 5, 6]
        assert pages[3] == {"page": 4, "error": {"code": "image_too_large", "message": "too many pixels"}}
        assert all(p["instance"] != dead.address for p in pages if "error" not in p)
        assert nodes.hits[dead.port] >= 1  # it was tried, failed, and the pages were redone


@pytest.mark.parametrize(
    ("document", "status", "code"),
    [
        (samples.encrypted_pdf(), 400, "encrypted_document"),
        (samples.blank_pdf(21), 413, "too_many_pages"),
        (samples.many_frames_tiff(3000), 413, "too_many_pages"),
        (b"%PDF-1.7\ngarbage", 400, "corrupt_document"),
    ],
    ids=["password", "21-pages", "3000-frames", "garbage"],
)
async def test_a_hostile_document_gets_its_status_and_code(
    tmp_path: Path, document: bytes, status: int, code: str
) -> None:
    async with gateway_rig(tmp_path) as (client, _, nodes):
        r = await client.post(
            "/api/ocr", files={"image": ("x.pdf", document, "application/pdf")}, headers=auth("a")
        )
        assert (r.status_code, r.json()) == (
            status,
            {"error": {"code": code, "message": r.json()["error"]["message"]}},
        )
        ok = await client.post(
            "/api/ocr", files={"image": ("a.png", png(60), "image/png")}, headers=auth("a")
        )
        assert ok.status_code == 200 and sum(nodes.hits.values()) == 1
