"""This gateway's share of the job queue: claim pages, read them through the mesh, write results.

Every gateway runs one worker on the shared store. It holds at most `job_workers` pages, and
`job_pages_per_instance` for each OCR instance in rotation, renews their leases while it reads
them, puts a page whose try failed for a passing reason back in the queue, gives its pages back on
a clean stop, and removes expired jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from gateway.documents.metrics import DocumentMetrics
from gateway.documents.reader import PageReader, PageSource, error_entry
from gateway.jobs.settings import JobSettings
from gateway.jobs.store import Claim, JobStore
from mesh.errors import MeshError

log = logging.getLogger(__name__)
EXPIRE_EVERY = 60.0
FILES_KEPT = 4  # uploads kept in memory: a document's pages are claimed one after another
ROOM_CHECK = 1.0  # seconds between looks at the instance count while the worker is full


class JobWorker:
    def __init__(
        self,
        store: JobStore,
        reader: PageReader,
        settings: JobSettings,
        metrics: DocumentMetrics,
        wake: asyncio.Event,
        instances: Callable[[], int],  # OCR instances in rotation now
    ) -> None:
        self.store = store
        self.reader = reader
        self.settings = settings
        self.metrics = metrics
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = wake
        self._instances = instances
        self._freed = asyncio.Event()
        self._held: dict[int, Claim] = {}
        self._slots = asyncio.Semaphore(max(1, settings.job_workers))
        self._files: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._loops = [
            asyncio.create_task(c) for c in (self._claim_loop(), self._renew_loop(), self._expire_loop())
        ]

    async def stop(self) -> None:
        """Stop claiming, drop what is in hand and give its pages back to the queue."""
        for task in [*self._loops, *self._tasks]:
            task.cancel()
        await asyncio.gather(*self._loops, *self._tasks, return_exceptions=True)
        released = await asyncio.to_thread(self.store.release, self.owner)
        if released:
            log.info("gave %d job pages back to the queue", released)

    async def _claim_loop(self) -> None:
        """Claim while there is work; when idle, look again after job_poll_seconds, doubling up to
        job_poll_max_seconds (a local submission wakes it at once; an idle gateway then costs
        a claim query every few seconds instead of two a second)."""
        s = self.settings
        idle = s.job_poll_seconds
        while True:
            await self._slots.acquire()
            await self._room()
            try:
                claim = await asyncio.to_thread(
                    self.store.claim, self.owner, time.time(), s.job_lease_seconds
                )
            except Exception:
                self._slots.release()
                log.exception("claiming a job page failed")
                await asyncio.sleep(s.job_poll_seconds)
                continue
            if claim is None:
                self._slots.release()
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), idle)
                    idle = s.job_poll_seconds
                except TimeoutError:
                    idle = min(idle * 2, max(s.job_poll_max_seconds, s.job_poll_seconds))
                continue
            idle = s.job_poll_seconds
            self._held[claim.page_id] = claim
            task = asyncio.create_task(self._work(claim))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _room(self) -> None:
        """Wait while this gateway holds job_pages_per_instance pages for each instance in rotation."""
        per = self.settings.job_pages_per_instance
        while per > 0 and len(self._held) >= per * max(1, self._instances()):
            self._freed.clear()
            with contextlib.suppress(TimeoutError):  # a page ends, or an instance joins meanwhile
                await asyncio.wait_for(self._freed.wait(), ROOM_CHECK)

    async def _work(self, claim: Claim) -> None:
        try:
            entry = await self._entry(claim)
            if entry is None:
                return
            written = await asyncio.to_thread(
                self.store.finish_page, claim, entry, time.time(), self.settings.job_ttl_seconds
            )
            if written:
                self.metrics.pages.labels("job", entry["error"]["code"] if "error" in entry else "ok").inc()
        except Exception:
            log.exception(
                "job %s page %d failed in the gateway; its lease will lapse", claim.job_id, claim.page
            )
        finally:
            self._held.pop(claim.page_id, None)
            self._slots.release()
            self._freed.set()

    async def _entry(self, claim: Claim) -> dict[str, Any] | None:
        """The page's entry, or None when an error that passes put it back in the queue."""
        try:
            return await self._read(claim)
        except MeshError as exc:  # a 503 or 504 (PageReader.read): try the page again later
            tries_left = claim.attempts < self.settings.job_max_attempts
            if tries_left and await asyncio.to_thread(self.store.requeue, claim, self.owner):
                self.metrics.pages.labels("job", "requeued").inc()
                return None
            return error_entry(claim.page, exc.code, exc.message)

    async def _read(self, claim: Claim) -> dict[str, Any]:
        if claim.attempts > self.settings.job_max_attempts:
            return error_entry(
                claim.page, "too_many_attempts", f"page given up after {claim.attempts - 1} tries"
            )
        data = await self._file(claim.job_id, claim.file_idx)
        if data is None:
            return error_entry(claim.page, "job_gone", "the job was removed")
        headers = [
            ("Authorization", f"Bearer {claim.token}"),
            ("X-Request-ID", f"{claim.job_id}-{claim.page}"),
        ]
        source = PageSource(data, claim.frame, "", key=f"{claim.job_id}/{claim.file_idx}")
        return await self.reader.read(
            source, claim.page, headers, claim.options, cache_scope=claim.user, raise_passing=True
        )

    async def _file(self, job_id: str, idx: int) -> bytes | None:
        key = (job_id, idx)
        data = self._files.get(key)
        if data is None:
            data = await asyncio.to_thread(self.store.file_data, job_id, idx)
            if data is None:
                return None
            self._files[key] = data
            while len(self._files) > FILES_KEPT:
                self._files.popitem(last=False)
        self._files.move_to_end(key)
        return data

    async def _renew_loop(self) -> None:
        lease = self.settings.job_lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                await asyncio.to_thread(self.store.renew, list(self._held), self.owner, time.time() + lease)
            except Exception:
                log.exception("renewing job page leases failed")

    async def _expire_loop(self) -> None:
        while True:
            try:
                gone = await asyncio.to_thread(self.store.expire, time.time())
                if gone:
                    self.metrics.jobs.labels("expired").inc(gone)
            except Exception:
                log.exception("removing expired jobs failed")
            await asyncio.sleep(min(EXPIRE_EVERY, self.settings.job_ttl_seconds))
