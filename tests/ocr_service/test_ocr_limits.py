"""Bad input, size limits and the bounded queue, against the real model."""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from ocr_service.service import OcrService
from tests.support import render_lines

GOOD = render_lines(["STILL SERVING"])


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height, followed by a tiny IDAT and IEND."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def assert_error(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert "Traceback" not in body["error"]["message"]


def assert_still_serving(client: TestClient) -> None:
    response = client.post("/ocr", files={"image": ("ok.png", GOOD, "image/png")})
    assert response.status_code == 200, response.text
    assert "STILLSERVING" in response.json()["text"].replace(" ", "").upper()


BAD_UPLOADS: list[tuple[str, bytes, int, str]] = [
    ("empty", b"", 400, "empty_image"),
    ("text file", b"hello, this is not an image\n" * 10, 415, "unsupported_media_type"),
    ("truncated PNG", GOOD[: len(GOOD) // 2], 400, "corrupt_image"),
    ("PNG magic then junk", b"\x89PNG\r\n\x1a\n" + b"junk" * 50, 400, "corrupt_image"),
    ("header claims 10000x5000", png_header_only(10_000, 5_000), 413, "image_too_large"),
    ("header claims 100000x100000", png_header_only(100_000, 100_000), 413, "image_too_large"),
]


@pytest.mark.parametrize(("name", "data", "status", "code"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_bad_upload(ocr_client: TestClient, name: str, data: bytes, status: int, code: str) -> None:
    response = ocr_client.post("/ocr", files={"image": ("upload.png", data, "image/png")})
    assert_error(response, status, code)
    assert "x-served-by" in response.headers
    assert_still_serving(ocr_client)


def test_body_over_limit_is_413(
    ocr_client: TestClient, service: OcrService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service.settings, "max_upload_bytes", len(GOOD) - 1)
    response = ocr_client.post("/ocr", files={"image": ("big.png", GOOD, "image/png")})
    assert_error(response, 413, "payload_too_large")
    monkeypatch.undo()
    assert_still_serving(ocr_client)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"files": {"picture": ("a.png", GOOD, "image/png")}}, "validation_failed"),
        ({"data": {"image": "not a file"}}, "validation_failed"),
        ({"json": {"image": "x"}}, "validation_failed"),
        (
            {"content": b"--b\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=b"}},
            "validation_failed",
        ),
    ],
    ids=["other field", "urlencoded", "json", "broken multipart"],
)
def test_missing_image_field(ocr_client: TestClient, kwargs: dict[str, object], code: str) -> None:
    response = ocr_client.post("/ocr", **kwargs)
    assert_error(response, 422, code)
    assert_still_serving(ocr_client)


def wait_until(condition: Callable[[], bool]) -> None:
    """Poll a condition the test itself makes true soon; no timing is asserted."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_queue_full_is_503_with_retry_after(
    ocr_client: TestClient, service: OcrService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service.settings, "queue_size", 0)
    release = threading.Event()
    service.engine.submit(release.wait)  # hold the engine thread
    try:
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(ocr_client.post, "/ocr", files={"image": ("a.png", GOOD, "image/png")})
            wait_until(lambda: service.admitted == 1)
            second = ocr_client.post("/ocr", files={"image": ("b.png", GOOD, "image/png")})
            assert_error(second, 503, "overloaded")
            assert int(second.headers["retry-after"]) >= 1
            release.set()
            assert first.result().status_code == 200
    finally:
        release.set()
    metrics = ocr_client.get("/metrics").text
    assert 'ocr_requests_total{outcome="overloaded"}' in metrics


def test_request_waiting_past_deadline_is_dropped(
    ocr_client: TestClient, service: OcrService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service.settings, "queue_size", 1)
    monkeypatch.setattr(service.settings, "queue_deadline_seconds", 0.3)
    release = threading.Event()
    service.engine.submit(release.wait)
    try:
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(ocr_client.post, "/ocr", files={"image": ("a.png", GOOD, "image/png")})
            wait_until(lambda: service.engine_busy)
            second = ocr_client.post("/ocr", files={"image": ("b.png", GOOD, "image/png")})
            assert_error(second, 503, "queue_timeout")
            assert "retry-after" in second.headers
            release.set()
            # the first one got the engine before its deadline and is served
            assert first.result().status_code == 200
    finally:
        release.set()
