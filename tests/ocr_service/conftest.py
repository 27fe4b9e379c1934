"""One OCR node with the real PaddleOCR model per test session."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ocr_service.config import OcrSettings
from ocr_service.main import create_app
from ocr_service.service import OcrService

EVAL_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ocr-eval"


@pytest.fixture(scope="session")
def ocr_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = OcrSettings(data_dir=tmp_path_factory.mktemp("ocr"), nacos_enabled=False, require_token=False)
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 300
        while True:
            health = client.get("/health")
            if health.status_code == 200:
                break
            assert health.json()["status"] == "starting", health.json()
            assert time.monotonic() < deadline, "the OCR engine did not become ready"
            time.sleep(0.2)
        yield client


@pytest.fixture
def service(ocr_client: TestClient) -> OcrService:
    svc: OcrService = ocr_client.app.state.node.service  # type: ignore[attr-defined]
    return svc


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()
