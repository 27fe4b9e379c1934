"""POST /ocr against the real PaddleOCR model."""

from __future__ import annotations

import io
import re
import unicodedata

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from ocr_service.service import OcrService
from tests.ocr_service.conftest import EVAL_DIR, png_bytes
from tests.support import cjk_font, render_lines

LINES = ["Invoice 2024-118", "北京市海淀区中关村大街", "Total: 42.50 EUR", "谢谢惠顾 欢迎再来"]


def squash(text: str) -> str:
    """NFKC, no whitespace, lower case: PP-OCRv4 often drops spaces between Latin words."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def post(client: TestClient, data: bytes, name: str = "image.png") -> dict[str, object]:
    response = client.post("/ocr", files={"image": (name, data, "application/octet-stream")})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_health_says_ready_with_engine(ocr_client: TestClient) -> None:
    body = ocr_client.get("/health").json()
    assert body["status"] == "ready"
    assert body["engine"] == "paddle"


def test_reads_english_and_chinese_lines_in_order(ocr_client: TestClient) -> None:
    response = ocr_client.post(
        "/ocr",
        files={"image": ("card.png", render_lines(LINES), "image/png")},
        headers={"X-Request-ID": "test-req-1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "request_id",
        "text",
        "lines",
        "qr_codes",
        "image",
        "timings_ms",
        "engine",
        "instance",
    }
    assert body["request_id"] == "test-req-1"
    assert response.headers["x-request-id"] == "test-req-1"
    assert response.headers["x-served-by"] == body["instance"]
    assert body["engine"] == "paddle"
    assert set(body["timings_ms"]) == {"queue", "decode", "ocr", "total"}
    got = [squash(line["text"]) for line in body["lines"]]
    assert got == [squash(line) for line in LINES], body["text"]
    assert body["text"] == "\n".join(line["text"] for line in body["lines"])
    for line in body["lines"]:
        assert 0.5 <= line["score"] <= 1.0
        assert len(line["box"]) == 4 and all(len(p) == 2 for p in line["box"])
        xs = [p[0] for p in line["box"]]
        ys = [p[1] for p in line["box"]]
        assert 0 <= min(xs) < max(xs) <= body["image"]["width"] + 2
        assert 0 <= min(ys) < max(ys) <= body["image"]["height"] + 2


def test_boxes_are_in_original_coordinates_after_downscale(ocr_client: TestClient) -> None:
    image = Image.new("RGB", (4000, 600), "white")
    draw = ImageDraw.Draw(image)
    draw.text((200, 200), "LEFT SIDE 123", fill="black", font=cjk_font(120))
    draw.text((2800, 200), "RIGHT 456", fill="black", font=cjk_font(120))
    body = post(ocr_client, png_bytes(image))
    assert body["image"] == {"width": 4000, "height": 600}
    lines = body["lines"]
    assert isinstance(lines, list)
    assert [squash(ln["text"]) for ln in lines] == ["leftside123", "right456"]
    right_x = min(p[0] for p in lines[1]["box"])
    assert 2700 < right_x < 2900, lines[1]["box"]


def test_image_without_text_gives_empty_lines(ocr_client: TestClient) -> None:
    image = Image.new("RGB", (640, 480), (200, 220, 240))
    ImageDraw.Draw(image).ellipse((100, 100, 400, 300), fill=(90, 140, 60))
    body = post(ocr_client, png_bytes(image))
    assert body["lines"] == [] and body["text"] == "" and body["qr_codes"] == []


def test_tiny_image_is_fine(ocr_client: TestClient) -> None:
    body = post(ocr_client, png_bytes(Image.new("L", (1, 1), 255)))
    assert body["lines"] == [] and body["image"] == {"width": 1, "height": 1}


def test_exif_orientation_is_honoured(ocr_client: TestClient) -> None:
    upright = Image.open(io.BytesIO(render_lines(["ROTATED 789"], size=48)))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a camera stores
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buf = io.BytesIO()
    stored.save(buf, "JPEG", exif=exif, quality=95)
    body = post(ocr_client, buf.getvalue(), "photo.jpg")
    assert body["image"] == {"width": upright.width, "height": upright.height}
    assert squash(str(body["text"])) == "rotated789"


def test_qr_codes_are_decoded(ocr_client: TestClient) -> None:
    code = cv2.QRCodeEncoder.create().encode("https://example.com/ocr-mesh")
    code = cv2.resize(code, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST)
    canvas = np.full((420, 900), 255, dtype=np.uint8)
    canvas[40 : 40 + code.shape[0], 560 : 560 + code.shape[1]] = code
    cv2.putText(canvas, "SCAN ME", (40, 200), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 4)
    body = post(ocr_client, png_bytes(Image.fromarray(canvas)))
    qr_codes = body["qr_codes"]
    assert isinstance(qr_codes, list) and len(qr_codes) == 1
    assert qr_codes[0]["data"] == "https://example.com/ocr-mesh"
    assert min(p[0] for p in qr_codes[0]["box"]) >= 550
    assert "SCANME" in squash(str(body["text"])).upper()


def test_real_photo_test_page(ocr_client: TestClient) -> None:
    path = EVAL_DIR / "en_page_tesseract_phototest.png"
    if not path.exists():
        pytest.skip(f"{path} not present")
    body = post(ocr_client, path.read_bytes())
    text = squash(str(body["text"]))
    assert "thequickbrowndogjumpedoverthe" in text
    assert "lazyfox" in text


def test_metrics_count_outcomes(ocr_client: TestClient) -> None:
    post(ocr_client, render_lines(["metrics"]))
    text = ocr_client.get("/metrics").text
    assert 'ocr_requests_total{outcome="ok"}' in text
    assert "ocr_queue_depth" in text and "ocr_seconds_bucket" in text


def test_not_ready_engine_is_503(service: OcrService, ocr_client: TestClient) -> None:
    service.readiness.set("starting")
    try:
        response = ocr_client.post("/ocr", files={"image": ("a.png", render_lines(["x"]))})
    finally:
        service.readiness.set("ready")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "starting"
    assert "retry-after" in response.headers
