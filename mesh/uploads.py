"""Request bodies read with a size limit and a deadline: 413 as soon as one grows past the
limit, 408 when it has not all arrived in time (a client trickling bytes holds no slot forever)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from starlette.requests import Request

from mesh.errors import PayloadTooLarge, UploadTimeout


async def limited_stream(request: Request, limit: int, message: str, seconds: float) -> AsyncIterator[bytes]:
    """The body's chunks; 413 on a declared Content-Length over the limit, or once it is passed;
    408 if the whole body has not arrived within `seconds`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(message)
    until = time.monotonic() + seconds
    chunks = request.stream()
    size = 0
    while True:
        try:
            chunk = await asyncio.wait_for(anext(chunks), max(0.0, until - time.monotonic()))
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise UploadTimeout(f"the request body did not arrive within {seconds:g} s") from None
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(message)
        yield chunk
