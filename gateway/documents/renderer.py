"""Page rendering off the event loop, in worker processes with a memory ceiling and a deadline.

PDFium is not thread-safe and a hostile document may exhaust memory or crash it, so it runs in
separate processes: one that dies or overruns its deadline is replaced, and the gateway keeps
serving. The pool starts on first use (an image-only gateway never pays for it).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import resource
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from gateway.documents.pages import RenderLimits, Unreadable, count_pages, render_page
from mesh.errors import MeshError

log = logging.getLogger(__name__)
T = TypeVar("T")
HELD = 2  # documents each render process keeps, so their pages do not carry the whole file again


class NotHeld(Exception):
    """The render process does not hold that document (yet, or any more): send it along."""


# In each render process (never in the gateway's): the last documents it was sent, by key.
_held: OrderedDict[str, bytes] = OrderedDict()


def _render_held(key: str, data: bytes | None, index: int, limits: RenderLimits) -> bytes:
    """render_page on a document sent now (`data`) or earlier under `key` (NotHeld if not)."""
    if data is None:
        data = _held.get(key)
        if data is None:
            raise NotHeld(key)
    _held[key] = data
    _held.move_to_end(key)
    while len(_held) > HELD:
        _held.popitem(last=False)
    return render_page(data, index, limits)


class DocumentError(MeshError):
    """A document or page the gateway could not read; status and code come from `Unreadable`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.status_code = status

    @classmethod
    def of(cls, problem: Unreadable) -> DocumentError:
        return cls(problem.status, problem.code, problem.message)


def _started() -> None:
    """A no-op: run once in each new worker, so starting processes is not charged to a page."""


def _limit_memory(megabytes: int) -> None:
    """Worker initializer: cap the address space so a bomb fails with MemoryError, not the host."""
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class Renderer:
    """Counts and renders pages in `workers` processes; each call has `timeout` seconds."""

    def __init__(self, limits: RenderLimits, workers: int, memory_mb: int, timeout: float) -> None:
        self.limits = limits
        self._workers = max(1, workers)
        self._memory_mb = memory_mb
        self._timeout = timeout
        self._pool: ProcessPoolExecutor | None = None
        self._starting = asyncio.Lock()

    async def _executor(self) -> ProcessPoolExecutor:
        """The pool, its processes started (spawn and imports take a while on a busy machine)."""
        async with self._starting:
            if self._pool is None:
                pool = ProcessPoolExecutor(
                    self._workers,
                    mp_context=multiprocessing.get_context("spawn"),  # never fork a process with threads
                    initializer=_limit_memory,
                    initargs=(self._memory_mb,),
                )
                started = [asyncio.wrap_future(pool.submit(_started)) for _ in range(self._workers)]
                try:
                    await asyncio.gather(*started)
                except BrokenProcessPool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise DocumentError(
                        503, "renderer_unavailable", "the page renderer did not start"
                    ) from None
                self._pool = pool
            return self._pool

    def _reset(self, pool: ProcessPoolExecutor) -> None:
        """Kill the pool's processes (a stuck render holds one) and start afresh on next use."""
        if self._pool is pool:
            self._pool = None
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def count(self, data: bytes) -> int:
        """How many pages the upload holds (1 for a plain image)."""
        return await self._call(count_pages, data, self.limits)

    async def page(self, data: bytes, index: int, key: str = "") -> bytes:
        """Page `index` as image bytes the OCR node reads (an image passes as it is).

        With a `key` naming the document, the bytes go to a render process only when it does not
        hold them yet: one page of a 31 MB scanned PDF otherwise costs ~50 ms of copying it over.
        """
        if not key:
            return await self._call(render_page, data, index, self.limits)
        try:
            return await self._call(_render_held, key, None, index, self.limits)
        except NotHeld:
            return await self._call(_render_held, key, data, index, self.limits)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        for attempt in (1, 2):
            pool = await self._executor()
            future = asyncio.wrap_future(pool.submit(fn, *args))
            try:
                return await asyncio.wait_for(future, self._timeout)
            except Unreadable as problem:
                raise DocumentError.of(problem) from None
            except MemoryError:
                raise DocumentError(413, "document_too_complex", "the page needs too much memory") from None
            except TimeoutError:
                self._reset(pool)
                raise DocumentError(
                    422, "render_timeout", f"the page did not render within {self._timeout:g} s"
                ) from None
            except BrokenProcessPool:
                # A worker died: this document may have killed it, or another one did. One more try
                # on a fresh pool tells them apart.
                self._reset(pool)
                log.warning("a render worker died (try %d)", attempt)
        raise DocumentError(422, "render_failed", "the document crashed the renderer")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
