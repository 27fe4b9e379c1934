"""The header middlewares: one request ID per answer, X-Served-By on every answer, errors included."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.testclient import TestClient

from mesh.errors import NotFound, install_error_handlers
from mesh.observability import Readiness, install_observability


def _client(served_by: str | None) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    install_observability(app, "svc", Readiness(state="ready"), served_by=served_by)

    @app.get("/own-headers")
    async def own_headers() -> Response:
        return Response("x", headers={"X-Request-ID": "from-the-app", "X-Served-By": "someone-else"})

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("nothing here")

    return TestClient(app)


def test_a_sane_request_id_is_echoed_and_replaces_the_apps_own() -> None:
    with _client(None) as c:
        r = c.get("/own-headers", headers={"X-Request-ID": "abc-123"})
    assert r.headers.get_list("x-request-id") == ["abc-123"]
    assert "x-served-by" in r.headers  # without served_by the app's own header passes untouched


def test_a_hostile_request_id_is_replaced_by_a_fresh_one() -> None:
    with _client(None) as c:
        r = c.get("/health", headers={"X-Request-ID": "<script> " * 30})
    assert len(r.headers["x-request-id"]) == 32


def test_served_by_is_on_every_answer_once_errors_included() -> None:
    with _client("10.0.0.7") as c:
        ok, missing, own = c.get("/health"), c.get("/missing"), c.get("/own-headers")
    assert missing.status_code == 404
    for r in (ok, missing, own):
        assert r.headers.get_list("x-served-by") == ["10.0.0.7:80"]


def test_every_routes_latency_series_and_the_process_metrics_exist_from_the_first_scrape() -> None:
    """A rate over a new instance's first minutes needs two samples: the series must not wait for
    the route's first request."""
    with _client(None) as c:
        text = c.get("/metrics").text
    assert 'http_request_duration_seconds_count{route="/own-headers"} 0.0' in text
    assert 'http_request_duration_seconds_count{route="/missing"} 0.0' in text
    assert "process_cpu_seconds_total" in text and "process_resident_memory_bytes" in text
