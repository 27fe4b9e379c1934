"""The walking skeleton, end to end through the gateway against real Nacos and PaddleOCR."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from mesh.names import GATEWAY, OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.allocator import tcmalloc
from mesh_tools.launcher.procs import alive
from tests.e2e.conftest import RunningMesh
from tests.support import render_lines

pytestmark = pytest.mark.e2e

LINES = ["OCR Mesh 微服务网关", "光学字符识别 2026", "Hello PaddleOCR"]


def _client(mesh: RunningMesh, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=mesh.gateway, headers=headers, trust_env=False, timeout=60)


def test_register_login_me(mesh: RunningMesh) -> None:
    with _client(mesh) as c:
        r = c.post("/api/auth/register", json={"username": "skeleton", "password": "correct horse 9"})
        assert r.status_code == 201, r.text
        assert r.json()["username"] == "skeleton"
        r = c.post("/api/auth/login", json={"username": "Skeleton", "password": "correct horse 9"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "bearer" and body["expires_in"] > 0
        me = c.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200 and me.json()["username"] == "skeleton"


def test_ocr_reads_rendered_lines_and_both_instances_serve(mesh: RunningMesh, token: str) -> None:
    image = render_lines(LINES)
    served_by = set()
    with _client(mesh, token) as c:
        for _ in range(6):
            fresh = {"Cache-Control": "no-store"}  # the repeats must reach the nodes, not the cache
            r = c.post("/api/ocr", files={"image": ("card.png", image, "image/png")}, headers=fresh)
            assert r.status_code == 200, r.text
            assert "X-Cache" not in r.headers
            body = r.json()
            compact = body["text"].replace(" ", "")
            for line in LINES:
                assert line.replace(" ", "") in compact, body["text"]
            assert r.headers["X-Served-By"] == body["instance"]
            assert r.headers["X-Request-ID"] == body["request_id"]
            served_by.add(r.headers["X-Served-By"])
    ocr_ports = {f"127.0.0.1:{p.port}" for p in mesh.launcher.procs() if p.service == "ocr-service"}
    assert served_by == ocr_ports


def test_query_options_reach_the_node_through_the_gateway(mesh: RunningMesh, token: str) -> None:
    """`words=true` on /api/ocr is passed on: each line gains its words with boxes, spaced."""
    image = render_lines(["Hello PaddleOCR world"])
    with httpx.Client(base_url=mesh.gateway, trust_env=False, timeout=60) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        plain = c.post("/api/ocr", files={"image": ("w.png", image, "image/png")})
        worded = c.post("/api/ocr?words=true", files={"image": ("w.png", image, "image/png")})
    assert plain.status_code == 200 and worded.status_code == 200, worded.text
    assert all("words" not in line for line in plain.json()["lines"])
    words = [w["text"] for line in worded.json()["lines"] for w in line["words"]]
    assert words == ["Hello", "PaddleOCR", "world"], worded.json()["lines"]
    assert all(len(w["box"]) == 4 for line in worded.json()["lines"] for w in line["words"])


def test_nacos_lists_every_instance_healthy(mesh: RunningMesh) -> None:
    for service, count in ((OCR_SERVICE, 2), (USER_SERVICE, 1), (GATEWAY, 1)):
        hosts = mesh.nacos_instances(service)
        assert len(hosts) == count, hosts
        assert all(h["healthy"] and h["ephemeral"] for h in hosts)
        assert all({"version", "started_at"} <= set(h["metadata"]) for h in hosts)  # type: ignore[arg-type]
    ocr_meta = mesh.nacos_instances(OCR_SERVICE)[0]["metadata"]
    assert {"engine", "cpu_threads"} <= set(ocr_meta)  # type: ignore[arg-type]


def test_ocr_nodes_run_with_tcmalloc_when_installed(mesh: RunningMesh) -> None:
    """The launcher preloads tcmalloc into OCR nodes (mesh_tools/launcher/allocator.py), not others."""
    if tcmalloc() is None:
        pytest.skip("libtcmalloc-minimal4 is not installed")
    for proc in [p for p in mesh.launcher.procs() if alive(p.pid)]:
        mapped = "libtcmalloc_minimal" in Path(f"/proc/{proc.pid}/maps").read_text()
        assert mapped == (proc.service == OCR_SERVICE), proc


def test_missing_token_is_401_in_error_shape(mesh: RunningMesh) -> None:
    with _client(mesh) as c:
        r = c.post("/api/ocr", files={"image": ("a.png", b"\x89PNG", "image/png")})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "missing_token"
    assert "X-Request-ID" in r.headers


def test_ocr_node_checks_the_token_itself(mesh: RunningMesh, token: str) -> None:
    """Defence in depth: a caller that skips the gateway still needs a valid token."""
    node = next(p for p in mesh.launcher.procs() if p.service == OCR_SERVICE)
    image = render_lines(["token"])
    with httpx.Client(base_url=f"http://127.0.0.1:{node.port}", trust_env=False, timeout=60) as c:
        bare = c.post("/ocr", files={"image": ("x.png", image, "image/png")})
        forged = c.post(
            "/ocr", files={"image": ("x.png", image, "image/png")}, headers={"Authorization": "Bearer a.b.c"}
        )
        ok = c.post(
            "/ocr",
            files={"image": ("x.png", image, "image/png")},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert bare.status_code == 401 and bare.json()["error"]["code"] == "missing_token"
    assert forged.status_code == 401
    assert ok.status_code == 200


def test_non_image_is_415(mesh: RunningMesh, token: str) -> None:
    with _client(mesh, token) as c:
        r = c.post("/api/ocr", files={"image": ("notes.png", b"just some text, not a picture", "image/png")})
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_media_type"


def test_sigterm_deregisters_before_exit_and_finishes_in_flight(mesh: RunningMesh, token: str) -> None:
    victim = next(p for p in mesh.launcher.procs() if p.service == OCR_SERVICE)
    image = render_lines(LINES * 3)
    result: dict[str, int] = {}

    def in_flight() -> None:
        with httpx.Client(trust_env=False, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
            r = c.post(f"http://127.0.0.1:{victim.port}/ocr", files={"image": ("x.png", image, "image/png")})
            result["status"] = r.status_code

    worker = threading.Thread(target=in_flight)
    worker.start()
    time.sleep(0.3)
    os.kill(victim.pid, signal.SIGTERM)
    gone_while_alive = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        still_listed = any(h["port"] == victim.port for h in mesh.nacos_instances(OCR_SERVICE))
        if not still_listed:
            gone_while_alive = alive(victim.pid)
            break
        time.sleep(0.05)
    worker.join(60)
    assert gone_while_alive, "the instance left Nacos only after its process had exited"
    assert result.get("status") == 200, "the in-flight request was not finished"
    mesh.launcher.stop_service(victim)
    mesh.launcher.wait_ready([mesh.launcher.start_service(OCR_SERVICE, victim.port)])
