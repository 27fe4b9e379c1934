"""loadtest/compose.py: the sweep's targets that are not started here (a running gateway, compose)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from loadtest.cli import loadtest_main
from loadtest.compose import ComposeMesh, GatewayMesh, make_mesh
from loadtest.mesh import ScaledMesh
from mesh.names import OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.procs import LaunchError

INSTANCES = {
    OCR_SERVICE: [
        {"host": "172.18.0.3", "port": 8101, "healthy": True, "enabled": True, "ejected": False},
        {"host": "172.18.0.5", "port": 8101, "healthy": True, "enabled": True, "ejected": False},
        {"host": "172.18.0.6", "port": 8101, "healthy": True, "enabled": True, "ejected": True},
    ],
    USER_SERVICE: [{"host": "172.18.0.4", "port": 8001, "healthy": True, "enabled": True, "ejected": False}],
}


class _Gateway(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            body = b"{}"
        elif self.path == "/api/instances" and self.headers.get("Authorization") == "Bearer t0k":
            body = json.dumps({"services": INSTANCES}).encode()
        else:
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_running_gateway_is_measured_as_it_is(gateway: str) -> None:
    mesh = GatewayMesh(url=gateway)
    mesh.start(2, 1)
    mesh.token = "t0k"
    assert mesh.scale(2, 1) == []  # the ejected node does not count
    assert [i.host for i in mesh.running(OCR_SERVICE)] == ["172.18.0.3", "172.18.0.5"]
    assert mesh.pids() == {}
    with pytest.raises(LaunchError, match="ask for --ocr 2 --users 1"):
        mesh.scale(3, 1)


def test_no_gateway_is_a_clear_error() -> None:
    with pytest.raises(LaunchError, match="no gateway answers"):
        GatewayMesh(url="http://127.0.0.1:9").start(1, 1)


def test_targets(tmp_path: Path) -> None:
    assert isinstance(make_mesh(tmp_path, "java", 18848, None, None), ScaledMesh)
    assert type(make_mesh(tmp_path, "java", None, "http://h:1/", None)) is GatewayMesh
    compose = make_mesh(tmp_path, "java", None, None, tmp_path)
    assert isinstance(compose, ComposeMesh) and compose.url == "http://127.0.0.1:8080"


def test_cli_refuses_a_url_without_saying_how(capsys: pytest.CaptureFixture[str]) -> None:
    from argparse import ArgumentParser

    from loadtest.cli import register

    parser = ArgumentParser()
    register(parser.add_subparsers())
    for argv, said in [
        (["loadtest", "--no-rescale"], "give --gateway-url"),
        (["loadtest", "--gateway-url", "http://h:1"], "needs --compose or --no-rescale"),
    ]:
        assert loadtest_main(parser.parse_args(argv)) == 2
        assert said in capsys.readouterr().err
