"""POST /api/ocr beyond one image: a PDF, a multi-page TIFF or several `image` fields, answered
in the request as `{request_id, pages, timings_ms}` within `sync_max_pages`. One image keeps
today's path and shape exactly: its body goes to a node as it came (or the cache answers)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from gateway.documents.forms import Part, file_parts
from gateway.documents.metrics import DocumentMetrics
from gateway.documents.pages import kind_of
from gateway.documents.reader import PageReader, PageSource
from gateway.documents.renderer import DocumentError
from gateway.proxy import Upstream
from mesh.errors import MeshError


def wants_cache(cache_control: str) -> bool:
    """`Cache-Control: no-store` (or no-cache) asks for a fresh read: the load test sends it."""
    return not any(d.strip() in ("no-store", "no-cache") for d in cache_control.lower().split(","))


async def split(parts: Sequence[Part], reader: PageReader, max_pages: int, hint: str) -> list[PageSource]:
    """Every page of every part, in order; 413 too_many_pages past `max_pages`."""
    sources: list[PageSource] = []
    for part in parts:
        data = bytes(part.data)
        count = 1 if kind_of(data) == "image" else await reader.renderer.count(data)
        if len(sources) + count > max_pages:
            raise DocumentError(413, "too_many_pages", f"more than {max_pages} pages in one request; {hint}")
        key = uuid.uuid4().hex
        sources += [
            PageSource(data, i, part.filename or f"page-{len(sources) + i + 1}", key) for i in range(count)
        ]
    return sources


def parallel_pages(usable_instances: int) -> int:
    """Pages of one document in flight: two per instance keeps each node's engine busy."""
    return max(2, 2 * usable_instances)


def count_pages(metrics: DocumentMetrics, path: str, pages: Sequence[dict[str, Any]]) -> None:
    for entry in pages:
        outcome = entry["error"]["code"] if "error" in entry else "ok"
        metrics.pages.labels(path, outcome).inc()


async def ocr_answer(
    reader: PageReader,
    headers: list[tuple[str, str]],
    body: bytes,
    query: str,
    *,
    max_pages: int,
    parallel: int,
    cache_scope: str | None,
) -> Upstream | list[dict[str, Any]]:
    """The node's answer for one image, or the page entries of a document / several images."""
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    try:
        parts = file_parts(content_type, body, max_parts=max_pages)
    except MeshError:
        # Not ours to judge: the node answers a malformed upload exactly as it always has.
        return await reader.answer(b"", headers, query, body=body)
    first = bytes(parts[0].data)
    alone = len(parts) == 1 and parts[0].name == "image"
    if alone and kind_of(first) == "image":
        return await reader.answer(first, headers, query, body=body, cache_scope=cache_scope)
    sources = await split(parts, reader, max_pages, "submit it as a job (POST /api/jobs)")
    if alone and kind_of(first) == "tiff" and len(sources) == 1:  # a one-page TIFF is an image
        return await reader.answer(first, headers, query, body=body, cache_scope=cache_scope)
    return await reader.read_all(sources, headers, query, parallel, cache_scope)


def pages_answer(request_id: str, pages: list[dict[str, Any]], started: float) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "pages": pages,
        "timings_ms": {"total": round((time.perf_counter() - started) * 1000, 1)},
    }
