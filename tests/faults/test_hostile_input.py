"""Hostile input through the gateway with a valid token: bad uploads and forged tokens.

Uploads go to the real PaddleOCR nodes of the fault mesh (the node's input checks are what is
tested); tokens are checked by the gateway itself.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import select
import socket
import struct
import time
import zlib
from collections.abc import Iterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from mesh_tools.launcher.procs import alive
from tests.faults.conftest import UPLOAD_SECONDS, FaultMesh
from tests.faults.support import assert_error_shape, report, small_image
from user_service.keys import KeyRing

BOUNDARY = "faultboundary7f3a"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _png_header(width: int, height: int, bit_depth: int = 1, color: int = 0) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)


def bomb_png(side: int = 20000) -> bytes:
    """A side×side black 1-bit PNG: ~50 MB of pixels in a few tens of kB of zlib."""
    comp = zlib.compressobj(9)
    row = b"\x00" * (1 + (side + 7) // 8)
    parts = [comp.compress(row) for _ in range(side)]
    parts.append(comp.flush())
    png = _png_header(side, side) + _png_chunk(b"IDAT", b"".join(parts)) + _png_chunk(b"IEND", b"")
    assert len(png) < 200_000
    return png


def header_only_png(side: int = 30000) -> bytes:
    """A side×side RGB header with a 10-byte IDAT and IEND: a tiny file claiming 900 M pixels."""
    idat = _png_chunk(b"IDAT", zlib.compress(b"\x00" * 10))
    return _png_header(side, side, 8, 2) + idat + _png_chunk(b"IEND", b"")


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.open(io.BytesIO(small_image())).convert("RGB").save(buf, "JPEG")
    return buf.getvalue()


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
HTML = b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>"
XML = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'


def _client(m: FaultMesh, token: str | None = None, timeout: float = 60) -> httpx.Client:
    return httpx.Client(
        base_url=m.gateway,
        # no-store: "a good image still works" must be answered by a node, not the result cache
        headers={"Authorization": f"Bearer {token or m.token}", "Cache-Control": "no-store"},
        trust_env=False,
        timeout=timeout,
    )


def _corpus() -> list[tuple[str, dict[str, object], int, str]]:
    """name, keyword arguments of client.post, expected status, expected error code ('' for 200)."""
    png, jpeg = small_image(), _jpeg()
    return [
        ("empty file", {"files": {"image": ("empty.png", b"", "image/png")}}, 400, "empty_image"),
        (
            "truncated JPEG",
            {"files": {"image": ("cut.jpg", jpeg[: len(jpeg) // 2], "image/jpeg")}},
            400,
            "corrupt_image",
        ),
        (
            "truncated PNG",
            {"files": {"image": ("cut.png", png[: len(png) // 2], "image/png")}},
            400,
            "corrupt_image",
        ),
        (
            "wrong magic, .png name",
            {"files": {"image": ("x.png", b"GIF89a" + b"\x00" * 64, "image/png")}},
            415,
            "unsupported_media_type",
        ),
        (
            "random bytes, .jpg name",
            {"files": {"image": ("x.jpg", bytes(range(256)) * 4, "image/jpeg")}},
            415,
            "unsupported_media_type",
        ),
        ("SVG", {"files": {"image": ("x.svg", SVG, "image/svg+xml")}}, 415, "unsupported_media_type"),
        ("HTML", {"files": {"image": ("x.html", HTML, "text/html")}}, 415, "unsupported_media_type"),
        (
            "XML with external entity",
            {"files": {"image": ("x.xml", XML, "application/xml")}},
            415,
            "unsupported_media_type",
        ),
        (
            "decompression bomb PNG 20000×20000",
            {"files": {"image": ("bomb.png", bomb_png(), "image/png")}},
            413,
            "image_too_large",
        ),
        # IHDR and a tiny IDAT: the header's 900 M pixels are refused before any decoding
        (
            "header-only PNG 30000×30000",
            {"files": {"image": ("huge.png", header_only_png(), "image/png")}},
            413,
            "image_too_large",
        ),
        # IHDR alone, no IDAT: Pillow cannot even open it, so it is corrupt rather than too large
        (
            "IHDR-only PNG 30000×30000",
            {"files": {"image": ("huge.png", _png_header(30000, 30000, 8, 2), "image/png")}},
            400,
            "corrupt_image",
        ),
        (
            "multipart without image field",
            {"files": {"picture": ("x.png", png, "image/png")}},
            422,
            "validation_failed",
        ),
        ("not multipart (JSON)", {"json": {"image": "aGVsbG8="}}, 422, "validation_failed"),
        (
            "broken multipart framing",
            {
                "content": b"--nope\r\nxx",
                "headers": {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            },
            (400, 422),
            "",
        ),
        # several `image` parts are a batch (docs/documents.md): each is a page with its own answer
        (
            "two files in image",
            {"files": [("image", ("a.png", png, "image/png")), ("image", ("b.svg", SVG, "image/svg+xml"))]},
            200,
            "",
        ),
        ("unicode file name", {"files": {"image": ("图片 ünïcödé 🙂\u202e.png", png, "image/png")}}, 200, ""),
        (
            "unicode file name, bad bytes",
            {"files": {"image": ("страница\u0000.png", HTML, "image/png")}},
            415,
            "unsupported_media_type",
        ),
    ]


def test_bad_upload_corpus(fault_mesh: FaultMesh) -> None:
    """Each bad upload gets its status and code in the error shape, nothing internal leaks,
    and afterwards a good image still works and every process is alive."""
    m = fault_mesh
    seen = []
    with _client(m) as c:
        for name, kwargs, status, code in _corpus():
            r = c.post("/api/ocr", **kwargs)  # type: ignore[arg-type]
            if status == 200:
                assert r.status_code == 200, (name, r.status_code, r.text[:300])
                pages = r.json().get("pages", [r.json()])
                assert "Fault" in pages[0]["text"], (name, pages[0])
                if len(pages) > 1:  # the batch: the SVG page gets its own error, not the request
                    assert pages[1]["error"]["code"] == "unsupported_media_type", pages[1]
                seen.append(f"{name}: 200" + (f", {len(pages)} pages" if len(pages) > 1 else ""))
            else:
                got = assert_error_shape(r, status, code or None)
                seen.append(f"{name}: {r.status_code} {got}")
        good = c.post("/api/ocr", files={"image": ("ok.png", small_image(), "image/png")})
        assert good.status_code == 200 and "Fault" in good.json()["text"]
    assert all(alive(p.pid) for p in m.all_procs())
    report("bad-uploads", "; ".join(seen))


def _raw_upload(
    m: FaultMesh,
    chunks: Iterator[bytes],
    *,
    declared: int | None,
    pause: float = 0.0,
    limit_seconds: float = 30.0,
) -> tuple[int, dict[str, str], bytes, int]:
    """POST /api/ocr over a raw socket, stopping to send as soon as the answer arrives.

    Returns status, headers, body and how many body bytes were sent.
    """
    host, port = m.gateway.removeprefix("http://").split(":")
    head = [
        "POST /api/ocr HTTP/1.1",
        f"Host: {host}:{port}",
        f"Authorization: Bearer {m.token}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {declared}" if declared is not None else "Transfer-Encoding: chunked",
        "",
        "",
    ]
    sent = 0
    deadline = time.monotonic() + limit_seconds
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall("\r\n".join(head).encode())
        for chunk in chunks:
            if time.monotonic() > deadline:
                break
            if select.select([sock], [], [], 0)[0]:
                break
            data = chunk if declared is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk)
            try:
                sock.sendall(data)
            except OSError:  # the server answered and closed
                break
            sent += len(chunk)
            if pause:
                time.sleep(pause)
        else:
            if declared is None:
                with contextlib.suppress(OSError):
                    sock.sendall(b"0\r\n\r\n")
        raw = b""
        sock.settimeout(max(1.0, deadline - time.monotonic() + 30))
        while b"\r\n\r\n" not in raw:
            piece = sock.recv(65536)
            if not piece:
                break
            raw += piece
        head_raw, _, body = raw.partition(b"\r\n\r\n")
        lines = head_raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)
        }
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                break
            body += piece
    return status, headers, body, sent


def _zeros(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n"
    ).encode()
    for _ in range(total // size):
        yield b"\x00" * size


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_100_mb_body_is_refused_before_it_is_sent(fault_mesh: FaultMesh, declared: bool) -> None:
    """A 100 MB body streamed from a generator: 413 in the error shape before the whole body is sent."""
    total = 100 * 1024 * 1024
    status, _, body, sent = _raw_upload(fault_mesh, _zeros(total), declared=total + 200 if declared else None)
    assert status == 413, (status, body[:200])
    data = json.loads(body)
    assert data["error"]["code"] == "payload_too_large" and set(data["error"]) == {"code", "message"}
    assert sent < total // 2, f"{sent} bytes were sent before the 413"
    report("100MB", f"{'declared' if declared else 'chunked'}: 413 after {sent / 1e6:.1f} MB of 104.9 MB")


def test_slow_upload_is_served(fault_mesh: FaultMesh) -> None:
    """A good image sent in 25 small chunks with 0.35 s pauses (~9 s): it is read and recognised."""
    png = small_image()
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="slow.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + png
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    step = len(body) // 24 + 1
    chunks = (body[i : i + step] for i in range(0, len(body), step))
    started = time.monotonic()
    status, _, answer, sent = _raw_upload(
        fault_mesh, chunks, declared=len(body), pause=0.35, limit_seconds=15
    )
    took = time.monotonic() - started
    assert sent == len(body)
    assert status == 200, answer[:300]
    assert "Fault" in json.loads(answer)["text"]
    report("slow-upload", f"{len(body)} bytes in 25 chunks over {took:.1f} s: 200")


def test_stalled_upload_gets_408_at_the_deadline(fault_mesh: FaultMesh) -> None:
    """Slow loris: headers and 200 bytes of a declared 50 kB body, then silence. The gateway answers
    408 upload_timeout at its body deadline instead of holding the connection forever."""
    started = time.monotonic()
    status, _, answer, sent = _raw_upload(
        fault_mesh, iter([b"-" * 200]), declared=50_000, limit_seconds=UPLOAD_SECONDS + 10
    )
    took = time.monotonic() - started
    assert status == 408, answer[:300]
    assert json.loads(answer)["error"]["code"] == "upload_timeout"
    assert took < UPLOAD_SECONDS + 10
    report("stalled-upload", f"{sent} of 50000 bytes, then silence: 408 upload_timeout after {took:.1f} s")


# ---------------------------------------------------------------- tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _compact(header: dict[str, object], claims: dict[str, object], sign: object = None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    sig = sign(signing_input.encode()) if callable(sign) else b""
    return f"{signing_input}.{_b64(sig)}"


def _forged_tokens(m: FaultMesh) -> dict[str, tuple[str, str]]:
    """name -> (token, expected code)."""
    ring = KeyRing.load_or_create(m.data_dir / "keys")
    key = ring.current
    now = int(time.time())
    good = {
        "sub": "1",
        "name": "fault_user",
        "iss": "ocr-mesh",
        "aud": "ocr-mesh-api",
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + 600,
    }

    def real(claims: dict[str, object]) -> str:
        return jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid})

    stranger = Ed25519PrivateKey.generate()
    public_pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    valid = real(good)
    return {
        "control: valid, signed with the mesh key": (valid, ""),
        "alg none": (_compact({"alg": "none", "typ": "JWT", "kid": key.kid}, good), "invalid_token"),
        "alg None, kid of the mesh key": (_compact({"alg": "None", "kid": key.kid}, good), "invalid_token"),
        "HS256 signed with the public key (PEM)": (
            _compact(
                {"alg": "HS256", "typ": "JWT", "kid": key.kid},
                good,
                lambda s: hmac.new(public_pem, s, hashlib.sha256).digest(),
            ),
            "invalid_token",
        ),
        "HS256 signed with the raw public key (JWK x)": (
            _compact(
                {"alg": "HS256", "typ": "JWT", "kid": key.kid},
                good,
                lambda s: hmac.new(key.private.public_key().public_bytes_raw(), s, hashlib.sha256).digest(),
            ),
            "invalid_token",
        ),
        "expired": (real(good | {"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}), "token_expired"),
        "not yet valid (nbf in 1 h)": (real(good | {"nbf": now + 3600}), "invalid_token"),
        "issued in the future (iat in 1 h)": (real(good | {"iat": now + 3600}), "invalid_token"),
        "wrong aud": (real(good | {"aud": "someone-else"}), "invalid_token"),
        "wrong iss": (real(good | {"iss": "evil"}), "invalid_token"),
        "no exp": (real({k: v for k, v in good.items() if k != "exp"}), "invalid_token"),
        "unknown kid, fresh Ed25519 key": (
            jwt.encode(good, stranger, algorithm="EdDSA", headers={"kid": "f" * 16}),
            "invalid_token",
        ),
        "mesh kid, signed by a fresh Ed25519 key": (
            jwt.encode(good, stranger, algorithm="EdDSA", headers={"kid": key.kid}),
            "invalid_token",
        ),
        "no kid": (jwt.encode(good, key.private, algorithm="EdDSA"), "invalid_token"),
        "truncated signature": (valid[:-12], "invalid_token"),
        "truncated to header.payload": (valid.rsplit(".", 1)[0], "invalid_token"),
        "payload tampered (sub)": (
            ".".join(
                [valid.split(".")[0], _b64(json.dumps(good | {"sub": "2"}).encode()), valid.split(".")[2]]
            ),
            "invalid_token",
        ),
        "garbage": ("not.a.jwt", "invalid_token"),
        "huge header": (_b64(b'{"alg":"EdDSA","x":"' + b"A" * 6000 + b'"}') + ".e30.", "invalid_token"),
    }


def test_forged_tokens_are_refused(fault_mesh: FaultMesh) -> None:
    """alg none, HS256 with the public key, expired, nbf, aud/iss, unknown kid, truncated…: 401 each
    (in the error shape) on an authenticated GET and on POST /api/ocr; the control token passes."""
    m = fault_mesh
    results = []
    for name, (token, code) in _forged_tokens(m).items():
        with _client(m, token) as c:
            r = c.get("/api/instances")
            o = c.post("/api/ocr", files={"image": ("ok.png", small_image(), "image/png")})
        if not code:
            assert r.status_code == 200 and o.status_code == 200, (name, r.text[:200], o.text[:200])
            continue
        assert_error_shape(r, 401, code)
        assert_error_shape(o, 401, code)
        results.append(f"{name}: 401 {code}")
    with httpx.Client(base_url=m.gateway, trust_env=False, timeout=10) as c:
        assert_error_shape(c.get("/api/instances"), 401, "missing_token")
        assert_error_shape(
            c.get("/api/instances", headers={"Authorization": "Basic eDp5"}), 401, "invalid_token"
        )
    report("tokens", "; ".join(results))
