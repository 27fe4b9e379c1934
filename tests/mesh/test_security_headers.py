"""Security headers on every kind of answer: page, static files, API, errors, 500, /health, /metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from gateway.config import GatewaySettings
from gateway.main import create_app as create_gateway
from mesh.errors import install_error_handlers
from mesh.observability import Readiness, install_observability
from mesh.security_headers import SECURITY_HEADERS, install_security_headers
from user_service.config import UserSettings
from user_service.main import create_app as create_users


def assert_secured(r: httpx.Response, https: bool = False) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get_list(name) == [value], (r.request.url, name, r.headers)
    hsts = r.headers.get_list("Strict-Transport-Security")
    assert hsts == (["max-age=31536000"] if https else []), (r.request.url, hsts)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[TestClient]:
    """The gateway in-process with the real web/ folder and no instances of anything."""
    settings = GatewaySettings(data_dir=tmp_path, nacos_enabled=False)
    with TestClient(create_gateway(settings)) as c:
        yield c


def test_page_and_static_files(gateway: TestClient) -> None:
    for path, kind in [("/", "text/html"), ("/js/main.js", "javascript"), ("/css/base.css", "text/css")]:
        r = gateway.get(path)
        assert r.status_code == 200 and kind in r.headers["content-type"], path
        assert_secured(r)
    missing = gateway.get("/no-such-file.js")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert_secured(missing)


def test_api_answers_and_errors(gateway: TestClient) -> None:
    unauthorized = gateway.get("/api/instances")
    assert unauthorized.status_code == 401 and "error" in unauthorized.json()
    assert_secured(unauthorized)
    no_instance = gateway.post("/api/auth/login", json={"username": "a", "password": "b"})
    assert no_instance.status_code == 503 and no_instance.json()["error"]["code"] == "no_instance"
    assert_secured(no_instance)
    assert_secured(gateway.post("/api/auth/login", content=b"x" * 70_000))  # 413
    for path in ("/health", "/metrics", "/openapi.json"):
        assert_secured(gateway.get(path))


def test_hsts_only_over_tls(tmp_path: Path) -> None:
    settings = GatewaySettings(data_dir=tmp_path, nacos_enabled=False)
    with TestClient(create_gateway(settings), base_url="https://testserver") as c:
        assert_secured(c.get("/"), https=True)
        assert_secured(c.get("/api/instances"), https=True)


def test_user_service_answers_carry_them(tmp_path: Path) -> None:
    with TestClient(create_users(UserSettings(data_dir=tmp_path, nacos_enabled=False))) as c:
        assert_secured(c.get("/.well-known/jwks.json"))
        assert_secured(c.post("/auth/login", json={"username": "x"}))  # 422
        assert_secured(c.get("/health"))


def test_unexpected_500() -> None:
    app = FastAPI()
    install_error_handlers(app)
    install_observability(app, "test", Readiness())
    install_security_headers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
        assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
        assert_secured(r)


def test_an_inner_header_is_replaced_not_doubled() -> None:
    app = FastAPI()
    install_security_headers(app)

    @app.get("/weak")
    async def weak() -> JSONResponse:
        return JSONResponse({}, headers={"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "*"})

    with TestClient(app) as c:
        assert_secured(c.get("/weak"))
