"""Public API routes: open auth routes, authenticated OCR and instance views."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response

from gateway.canary import HINT_HEADER
from gateway.documents.sync import count_pages, ocr_answer, pages_answer, parallel_pages, wants_cache
from gateway.proxy import Upstream, forwardable
from gateway.state import Gateway
from mesh.errors import ServiceUnavailable
from mesh.observability import REQUEST_ID_HEADER, request_id_of
from mesh.tokens import Principal, bearer_token
from mesh.uploads import limited_stream

AUTH_BODY_LIMIT = 64 * 1024


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def open_for_work(gateway: GatewayDep) -> None:
    """503 `maintenance` on every /api route while the live maintenance switch is on."""
    live = gateway.live
    if live.maintenance:
        raise ServiceUnavailable(
            live.maintenance_message, code="maintenance", retry_after=live.maintenance_retry_after
        )


router = APIRouter(prefix="/api", dependencies=[Depends(open_for_work)])


async def current_user(
    gateway: GatewayDep, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """The verified caller; also spends one token of their rate limit."""
    principal = await gateway.verifier.verify(bearer_token(authorization))
    gateway.user_limits.take(principal.user_id)
    return principal


def client_limit(request: Request, gateway: GatewayDep) -> None:
    """Rate limit for the open routes, by client address."""
    gateway.client_limits.take(request.client.host if request.client else "unknown")


UserDep = Annotated[Principal, Depends(current_user)]


async def read_body(request: Request, limit: int, seconds: float) -> bytes:
    """The request body: 413 as soon as it grows past the limit, 408 if it arrives too slowly."""
    message = f"the upload is larger than {limit // (1024 * 1024) or 1} MB"
    return b"".join([chunk async for chunk in limited_stream(request, limit, message, seconds)])


def _headers(request: Request, *names: str) -> list[tuple[str, str]]:
    """The named request headers, the request ID, and the client address as the gateway saw it.

    The gateway is the edge: an X-Forwarded-For sent by a client is dropped, never passed on.
    """
    wanted = [(n, request.headers[n]) for n in names if n in request.headers]
    client = request.client.host if request.client else "unknown"
    return [*forwardable(wanted), (REQUEST_ID_HEADER, request_id_of(request)), ("X-Forwarded-For", client)]


def _answer(up: Upstream, served_by: bool = False) -> Response:
    own = ("x-request-id", "x-served-by", "date", "server")
    headers = {k: v for k, v in forwardable(up.headers) if k.lower() not in own}
    if served_by:
        headers["X-Served-By"] = up.served_by
    return Response(up.content, status_code=up.status, headers=headers)


@router.post("/auth/register", dependencies=[Depends(client_limit)])
async def register(request: Request, gateway: GatewayDep) -> Response:
    body = await read_body(request, AUTH_BODY_LIMIT, gateway.settings.upload_seconds)
    up = await gateway.call_users(request.method, "/auth/register", _headers(request, "content-type"), body)
    return _answer(up)


@router.post("/auth/login", dependencies=[Depends(client_limit)])
async def login(request: Request, gateway: GatewayDep) -> Response:
    body = await read_body(request, AUTH_BODY_LIMIT, gateway.settings.upload_seconds)
    up = await gateway.call_users(request.method, "/auth/login", _headers(request, "content-type"), body)
    return _answer(up)


@router.get("/auth/me")
async def me(request: Request, gateway: GatewayDep, _: UserDep) -> Response:
    up = await gateway.call_users("GET", "/auth/me", _headers(request, "authorization"))
    return _answer(up)


@router.post("/ocr")
async def ocr(request: Request, gateway: GatewayDep, user: UserDep) -> Response:
    """One image (answered as the node answers it), or a document / several images (`pages`)."""
    started = time.perf_counter()
    s = gateway.settings
    body = await read_body(request, s.max_upload_bytes, s.upload_seconds)
    query = request.scope.get("query_string", b"").decode("latin-1")
    headers = _headers(request, "content-type", "authorization", HINT_HEADER)
    scope = user.user_id if wants_cache(request.headers.get("cache-control", "")) else None
    parallel = parallel_pages(gateway.usable_ocr())
    got = await ocr_answer(
        gateway.reader, headers, body, query, max_pages=s.sync_max_pages, parallel=parallel, cache_scope=scope
    )
    if isinstance(got, Upstream):
        return _answer(got, served_by=True)
    count_pages(gateway.metrics.documents, "sync", got)
    return JSONResponse(pages_answer(request_id_of(request), got, started))


@router.get("/instances")
async def instances(gateway: GatewayDep, _: UserDep) -> dict[str, Any]:
    return {"services": gateway.snapshot()}
