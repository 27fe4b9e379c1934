"""The OCR node's live settings applied to the real node in process: QR scanning switched off
and on, the queue size; a bad entry leaves them as they were (the Nacos side: tests/e2e)."""

from __future__ import annotations

import cv2
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from prometheus_client import CollectorRegistry

from mesh.live_config import LiveConfig, LiveConfigMetrics, from_env
from mesh.names import NACOS_GROUP, OCR_SERVICE
from ocr_service.live import OcrLive
from ocr_service.service import OcrService
from tests.ocr_service.conftest import png_bytes


def qr_card() -> bytes:
    code = cv2.QRCodeEncoder.create().encode("https://example.com/live")
    code = cv2.resize(code, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST)
    canvas = np.full((420, 900), 255, dtype=np.uint8)
    canvas[40 : 40 + code.shape[0], 560 : 560 + code.shape[1]] = code
    return png_bytes(Image.fromarray(canvas))


def test_qr_scanning_and_the_queue_follow_the_live_entry(ocr_client: TestClient, service: OcrService) -> None:
    start = service.settings
    live = LiveConfig(
        OCR_SERVICE,
        NACOS_GROUP,
        OcrLive,
        from_env(OcrLive, start),
        lambda values: service.retune(values.over(start)),
        LiveConfigMetrics(CollectorRegistry()),
    )

    def codes() -> list[object]:
        r = ocr_client.post("/ocr", files={"image": ("qr.png", qr_card(), "image/png")})
        assert r.status_code == 200, r.text
        found: list[object] = r.json()["qr_codes"]
        return found

    try:
        assert len(codes()) == 1
        assert live.apply_text("qr_codes: false\nqueue_size: 3\n")
        assert codes() == [] and service.settings.queue_size == 3
        assert not live.apply_text("queue_size: -1\n")  # refused: both stay as they are
        assert service.settings.queue_size == 3 and not service.settings.qr_codes
        assert live.apply_text("")  # the entry deleted: the node's own settings again
        assert len(codes()) == 1 and service.settings == start
    finally:
        service.retune(start)
