"""Read pages through the mesh: render, look in the cache, send to an OCR node, make the page entry.

Every page goes through the gateway's one forwarder, so it gets the same balancer, retries on
another instance and ejection as a single image; the node applies the same input rules.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.documents.cache import ResultCache, cache_key
from gateway.documents.forms import image_form
from gateway.documents.pages import kind_of
from gateway.documents.renderer import Renderer
from gateway.proxy import Upstream
from mesh.errors import MeshError

CallOcr = Callable[[list[tuple[str, str]], bytes, str], Awaitable[Upstream]]
# What a page entry keeps of a node's answer (design.md: {page, text, lines, qr_codes, image,
# timings_ms, instance}); words and the rest ride inside the lines.
DROPPED = ("request_id", "engine")
PASSING_STATUSES = (503, 504)  # errors that pass: another try later may read the page


@dataclass(frozen=True)
class PageSource:
    """Page `index` (0-based) of one uploaded file; `key` names the file for the renderer."""

    data: bytes
    index: int
    filename: str
    key: str = ""


def error_entry(number: int, code: str, message: str) -> dict[str, Any]:
    return {"page": number, "error": {"code": code, "message": message}}


def page_entry(number: int, up: Upstream) -> dict[str, Any]:
    """The page's result, or its own error when the node refused it."""
    try:
        data = json.loads(up.content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return error_entry(number, "bad_upstream_answer", f"the OCR node answered {up.status} without JSON")
    if up.status != 200:
        found = data.get("error")
        err: dict[str, Any] = found if isinstance(found, dict) else {}
        return error_entry(number, str(err.get("code", "ocr_failed")), str(err.get("message", "not read")))
    return {"page": number, **{k: v for k, v in data.items() if k not in DROPPED}}


class PageReader:
    """Reads page images through `call_ocr`, with the result cache in front of it."""

    def __init__(
        self, call_ocr: CallOcr, renderer: Renderer, cache: ResultCache, engines: Callable[[], str]
    ) -> None:
        self._call_ocr = call_ocr
        self.renderer = renderer
        self.cache = cache
        self._engines = engines

    async def answer(
        self,
        image: bytes,
        headers: list[tuple[str, str]],
        query: str,
        *,
        body: bytes | None = None,
        cache_scope: str | None = None,
    ) -> Upstream:
        """The node's answer for one image (`body`: the client's own multipart body to pass on as it is).

        `cache_scope` (the asking user) keys the result cache, so one user's uploads are never
        answered, or revealed by `X-Cache: hit`, to another; None leaves the cache out.
        """
        use_cache = cache_scope is not None and self.cache.enabled
        key = cache_key(image, self._engines(), query, cache_scope or "") if use_cache else ""
        hit = self.cache.get(key) if use_cache else None
        if hit is not None:
            return _from_cache(hit, headers)
        if body is None:
            content_type, body = image_form(image)
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("Content-Type", content_type))
        up = await self._call_ocr(headers, body, query)
        if up.status == 200 and use_cache:
            self.cache.put(key, up.content)
        return up

    async def image_of(self, source: PageSource) -> bytes:
        """The page as image bytes: rendered off the loop for PDF and TIFF, else the upload itself."""
        if kind_of(source.data) == "image":
            return source.data
        return await self.renderer.page(source.data, source.index, source.key)

    async def read(
        self,
        source: PageSource,
        number: int,
        headers: list[tuple[str, str]],
        query: str,
        cache_scope: str | None = None,
        *,
        raise_passing: bool = False,
    ) -> dict[str, Any]:
        """Page `number`'s entry: its result, or its own error.

        With `raise_passing`, an error that passes (503 or 504: the mesh busy, short of instances
        or restarting) is raised instead, for a caller that can try the page again later.
        """
        try:
            image = await self.image_of(source)
            up = await self.answer(image, headers, query, cache_scope=cache_scope)
        except MeshError as exc:
            if raise_passing and exc.status_code in PASSING_STATUSES:
                raise
            return error_entry(number, exc.code, exc.message)
        return page_entry(number, up)

    async def read_all(
        self,
        sources: Sequence[PageSource],
        headers: list[tuple[str, str]],
        query: str,
        parallel: int,
        cache_scope: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every page, at most `parallel` at once across the instances, back in page order."""
        gate = asyncio.Semaphore(max(1, parallel))

        async def one(number: int, source: PageSource) -> dict[str, Any]:
            async with gate:
                return await self.read(source, number, headers, query, cache_scope)

        return list(await asyncio.gather(*(one(n, s) for n, s in enumerate(sources, start=1))))


def _from_cache(content: bytes, headers: list[tuple[str, str]]) -> Upstream:
    """A cached answer, under the asking request's ID, marked X-Cache: hit."""
    data = json.loads(content)
    request_id = next((v for k, v in headers if k.lower() == "x-request-id"), "")
    if "request_id" in data:
        data["request_id"] = request_id
    answer = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    served = str(data.get("instance", "cache"))
    return Upstream(200, [("Content-Type", "application/json"), ("X-Cache", "hit")], answer, served)
