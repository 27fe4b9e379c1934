"""Reading the multipart field from the stream, without the model."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request
from starlette.types import Message

from mesh.errors import BadRequest, PayloadTooLarge, UploadTimeout, ValidationFailed
from ocr_service.upload import read_form_file

CHUNK = 64 * 1024


def streaming_request(chunks: list[bytes], content_type: str, pulled: list[int]) -> Request:
    """A request whose body arrives chunk by chunk; `pulled` counts the chunks read."""
    queue = list(chunks)

    async def receive() -> Message:
        pulled[0] += 1
        body = queue.pop(0) if queue else b""
        return {"type": "http.request", "body": body, "more_body": bool(queue)}

    headers = [(b"content-type", content_type.encode())]
    return Request({"type": "http", "method": "POST", "path": "/ocr", "headers": headers}, receive)


def form(field: str, payload: bytes, extra: bytes = b"", boundary: str = "xyz") -> list[bytes]:
    """A multipart body: an optional text field `note`, then `field` with `payload`."""
    body = b""
    if extra:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n'.encode()
        body += extra + b"\r\n"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="a.png"\r\n'
    head += "Content-Type: image/png\r\n\r\n"
    body += head.encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    return [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]


def read(chunks: list[bytes], limit: int, content_type: str = "multipart/form-data; boundary=xyz") -> bytes:
    pulled = [0]
    return asyncio.run(read_form_file(streaming_request(chunks, content_type, pulled), "image", limit, 60))


def test_reads_the_named_field() -> None:
    payload = bytes(range(256)) * 1000
    assert read(form("image", payload, extra=b"hello"), limit=len(payload)) == payload


def test_stops_reading_as_soon_as_the_limit_is_passed() -> None:
    chunks = form("image", b"\x00" * (200 * CHUNK))  # ~13 MB on offer
    pulled = [0]
    request = streaming_request(chunks, "multipart/form-data; boundary=xyz", pulled)
    with pytest.raises(PayloadTooLarge):
        asyncio.run(read_form_file(request, "image", 100_000, 60))
    assert pulled[0] <= 3  # 100 kB limit: two or three 64 kB chunks, not 200


def test_declared_length_over_limit_is_refused_before_reading() -> None:
    pulled = [0]
    request = streaming_request(form("image", b"x"), "multipart/form-data; boundary=xyz", pulled)
    request.scope["headers"].append((b"content-length", b"999999999"))
    with pytest.raises(PayloadTooLarge):
        asyncio.run(read_form_file(request, "image", 1000, 60))
    assert pulled[0] == 0


@pytest.mark.parametrize(
    ("chunks", "content_type", "error"),
    [
        (form("picture", b"abc"), "multipart/form-data; boundary=xyz", ValidationFailed),
        ([b'{"image": 1}'], "application/json", ValidationFailed),
        (form("image", b"abc"), "multipart/form-data", ValidationFailed),
        ([b"garbage without boundary"], "multipart/form-data; boundary=xyz", (BadRequest, ValidationFailed)),
    ],
    ids=["other field", "json", "no boundary", "garbage"],
)
def test_refusals(chunks: list[bytes], content_type: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        read(chunks, 1000, content_type)


def test_a_body_that_stops_arriving_is_refused_at_the_deadline() -> None:
    """A slow-loris client: the first chunk arrives, then nothing (the receive never returns)."""
    first = form("image", b"x" * 1000)[0][:200]
    sent = [False]

    async def receive() -> Message:
        if not sent[0]:
            sent[0] = True
            return {"type": "http.request", "body": first, "more_body": True}
        await asyncio.Event().wait()  # the client went quiet
        raise AssertionError("unreachable")

    headers = [(b"content-type", b"multipart/form-data; boundary=xyz")]
    request = Request({"type": "http", "method": "POST", "path": "/ocr", "headers": headers}, receive)
    with pytest.raises(UploadTimeout) as refused:
        asyncio.run(read_form_file(request, "image", 100_000, 0.3))
    assert refused.value.status_code == 408 and refused.value.code == "upload_timeout"
