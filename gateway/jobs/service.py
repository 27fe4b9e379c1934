"""Jobs as the routes see them: submit, look up, list, cancel; the store runs in threads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from gateway.documents.forms import Part
from gateway.documents.metrics import DocumentMetrics
from gateway.documents.pages import kind_of
from gateway.documents.reader import PageReader
from gateway.documents.renderer import DocumentError
from gateway.jobs.settings import JobSettings
from gateway.jobs.store import JobStore, NewJob
from mesh.errors import NotFound, ValidationFailed


def not_found(job_id: str) -> NotFound:
    # The same answer for a job that never was, one that expired and someone else's.
    return NotFound(f"no job {job_id[:40]}", code="job_not_found")


class JobService:
    def __init__(
        self,
        store: JobStore,
        settings: JobSettings,
        reader: PageReader,
        metrics: DocumentMetrics,
        max_pages: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.reader = reader
        self.metrics = metrics
        self.max_pages = max_pages
        self.clock = clock
        self.submitted = asyncio.Event()  # wakes this gateway's worker at once

    async def submit(self, owner: str, token: str, parts: Sequence[Part], query: str) -> dict[str, Any]:
        """Count every file's pages (off the loop), store files and queued pages; 202-ready summary."""
        files = [p for p in parts if p.name == "file"]
        if files and len(parts) > 1:
            raise ValidationFailed("send one 'file', or one or more 'image' fields, not both")
        pages: list[tuple[int, int]] = []
        for idx, part in enumerate(parts):
            data = bytes(part.data)
            if not data:
                raise ValidationFailed(f"file {idx + 1} is empty", code="empty_image")
            count = 1 if kind_of(data) == "image" else await self.reader.renderer.count(data)
            if len(pages) + count > self.max_pages:
                raise DocumentError(413, "too_many_pages", f"more than {self.max_pages} pages in one job")
            pages += [(idx, frame) for frame in range(count)]
        name = parts[0].filename if len(parts) == 1 else f"{len(parts)} images"
        job = NewJob(owner, name, query, token, [(p.filename, bytes(p.data)) for p in parts], pages)
        summary = await asyncio.to_thread(self.store.create, job, self.clock(), self.settings.job_ttl_seconds)
        self.metrics.jobs.labels("submitted").inc()
        self.submitted.set()
        return summary

    async def get(self, owner: str, job_id: str) -> dict[str, Any]:
        job = await asyncio.to_thread(self.store.get, job_id, owner, self.clock())
        if job is None:
            raise not_found(job_id)
        return job

    async def list(self, owner: str) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.store.list, owner, self.clock(), self.settings.job_list_limit)

    async def cancel(self, owner: str, job_id: str) -> None:
        """Cancel what has not run; cancelling an ended job is a no-op, someone else's a 404."""
        done = await asyncio.to_thread(
            self.store.cancel, job_id, owner, self.clock(), self.settings.job_ttl_seconds
        )
        if done is None:
            raise not_found(job_id)
        if done:
            self.metrics.jobs.labels("cancelled").inc()
