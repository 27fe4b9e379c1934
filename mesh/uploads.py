"""Request bodies read with a size limit: refused with 413 as soon as they grow past it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request

from mesh.errors import PayloadTooLarge


async def limited_stream(request: Request, limit: int, message: str) -> AsyncIterator[bytes]:
    """The body's chunks; 413 on a declared Content-Length over the limit, or once it is passed."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(message)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(message)
        yield chunk
