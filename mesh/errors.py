"""One error shape for every service, and the one place that maps exceptions to it."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class MeshError(Exception):
    """A domain error that knows its HTTP status and stable code."""

    status_code = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(max(1, round(self.retry_after + 0.499)))}


class BadRequest(MeshError):
    status_code = 400
    code = "bad_request"


class Unauthorized(MeshError):
    status_code = 401
    code = "unauthorized"


class NotFound(MeshError):
    status_code = 404
    code = "not_found"


class Conflict(MeshError):
    status_code = 409
    code = "conflict"


class UploadTimeout(MeshError):
    status_code = 408
    code = "upload_timeout"


class PayloadTooLarge(MeshError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(MeshError):
    status_code = 415
    code = "unsupported_media_type"


class ValidationFailed(MeshError):
    status_code = 422
    code = "validation_failed"


class RateLimited(MeshError):
    status_code = 429
    code = "rate_limited"


class ServiceUnavailable(MeshError):
    status_code = 503
    code = "service_unavailable"


class UpstreamTimeout(MeshError):
    status_code = 504
    code = "upstream_timeout"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "upload_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "service_unavailable",
}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


async def _mesh_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MeshError)
    return error_response(exc.status_code, exc.code, exc.message, exc.headers())


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return error_response(422, "validation_failed", "; ".join(parts) or "invalid request")


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    return error_response(exc.status_code, code, message, dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "internal error; see the service log")


def install_error_handlers(app: FastAPI) -> None:
    """Map domain, validation, HTTP and unexpected errors to the shared shape."""
    app.add_exception_handler(MeshError, _mesh_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
