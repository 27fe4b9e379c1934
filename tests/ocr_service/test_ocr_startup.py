"""Start-up paths that do not need the shared Paddle node."""

from __future__ import annotations

import io
import time
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from ocr_service.config import OcrSettings
from ocr_service.main import create_app, instance_metadata
from tests.support import render_lines


def wait_for_state(client: TestClient, *states: str) -> dict[str, object]:
    deadline = time.monotonic() + 300
    while True:
        body: dict[str, object] = client.get("/health").json()
        if body["status"] in states:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def test_missing_models_fail_readiness_naming_the_path(tmp_path: Path) -> None:
    settings = OcrSettings(
        data_dir=tmp_path, nacos_enabled=False, models_dir=tmp_path / "nowhere", require_token=False
    )
    with TestClient(create_app(settings)) as client:
        body = wait_for_state(client, "failed", "ready")
        assert body["status"] == "failed"
        assert str(tmp_path / "nowhere" / "ch_PP-OCRv4_det_infer") in str(body["detail"])
        response = client.post("/ocr", files={"image": ("a.png", b"x")})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "starting"


def test_rapidocr_engine_reads_a_line(tmp_path: Path) -> None:
    settings = OcrSettings(data_dir=tmp_path, nacos_enabled=False, engine="rapidocr", require_token=False)
    app = create_app(settings)
    assert instance_metadata(settings) == {"engine": "rapidocr", "cpu_threads": "1"}
    with TestClient(app) as client:
        assert wait_for_state(client, "ready", "failed")["status"] == "ready"
        response = client.post("/ocr", files={"image": ("a.png", render_lines(["Hello Mesh 42"]))})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["engine"] == "rapidocr"
        assert body["text"].replace(" ", "") == "HelloMesh42"
        # The same reading steps as the Paddle engine: an upside-down page comes back in order.
        page = ["Invoice 2024-118", "Total: 42.50 EUR", "Thank you"]
        turned = Image.open(io.BytesIO(render_lines(page))).transpose(Image.Transpose.ROTATE_180)
        buf = io.BytesIO()
        turned.save(buf, "PNG")
        response = client.post("/ocr", files={"image": ("turned.png", buf.getvalue())})
        assert response.status_code == 200, response.text
        read = [ln["text"].replace(" ", "") for ln in response.json()["lines"]]
        assert read == [t.replace(" ", "") for t in page], response.json()["text"]


def test_the_node_verifies_tokens_when_required(tmp_path: Path) -> None:
    """With require_token on and no way to reach a user service, every call is refused (fails closed)."""
    settings = OcrSettings(data_dir=tmp_path, nacos_enabled=False, models_dir=tmp_path / "nowhere")
    with TestClient(create_app(settings)) as client:
        missing = client.post("/ocr", files={"image": ("a.png", b"\x89PNG", "image/png")})
        forged = client.post(
            "/ocr",
            files={"image": ("a.png", b"\x89PNG", "image/png")},
            headers={"Authorization": "Bearer x.y.z"},
        )
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "missing_token"
    assert forged.status_code == 401
