"""The durable job store and its leased-claim queue, on SQLAlchemy Core (SQLite or PostgreSQL).

A page is claimed by one statement that moves it to `running` with a lease (PostgreSQL picks it
with SELECT … FOR UPDATE SKIP LOCKED; SQLite serialises writers). A worker renews its leases while
it reads; a page whose lease ran out (its gateway died) is claimable again. A page's result is
written only while it is still `running`, so when two workers ended up with it, the first result
stays and the page is in the answer exactly once. Methods are blocking: call them in a thread.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from gateway.jobs.models import PENDING, job_files, job_pages, jobs, metadata
from mesh.sql import make_engine


@dataclass(frozen=True)
class NewJob:
    owner: str
    name: str
    options: str
    token: str
    files: list[tuple[str, bytes]]  # (filename, bytes)
    pages: list[tuple[int, int]]  # (file index, page within it), in page order


@dataclass(frozen=True)
class Claim:
    """A page a worker holds the lease of, with what it needs to read it."""

    page_id: int
    job_id: str
    page: int
    file_idx: int
    frame: int
    attempts: int
    options: str
    token: str
    user: str  # the job's owner: the result cache is kept per user


class JobStore:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self._create_tables()

    def _create_tables(self) -> None:
        """Create what is missing; another instance creating the same tables at once is fine."""
        for attempt in range(3):
            try:
                metadata.create_all(self.engine, checkfirst=True)
                return
            except (OperationalError, ProgrammingError):
                if attempt == 2:
                    raise

    def create(self, job: NewJob, now: float, ttl: float) -> dict[str, Any]:
        job_id = uuid.uuid4().hex
        row = {
            "id": job_id,
            "owner": job.owner,
            "state": "queued",
            "name": job.name[:200],
            "pages_total": len(job.pages),
            "options": job.options[:512],
            "token": job.token,
            "created_at": now,
            "expires_at": now + ttl,
        }
        with self.engine.begin() as conn:
            conn.execute(insert(jobs).values(**row))
            conn.execute(
                insert(job_files),
                [
                    {"job_id": job_id, "idx": i, "filename": n[:200], "data": d}
                    for i, (n, d) in enumerate(job.files)
                ],
            )
            conn.execute(
                insert(job_pages),
                [
                    {"job_id": job_id, "page": n, "file_idx": f, "frame": p, "state": "queued"}
                    for n, (f, p) in enumerate(job.pages, start=1)
                ],
            )
        return _summary(row, 0)

    def claim(self, owner: str, now: float, lease: float) -> Claim | None:
        """Lease the oldest claimable page (queued, or running with a lapsed lease), or None."""
        pick = (
            select(job_pages.c.id)
            .where(
                or_(
                    job_pages.c.state == "queued",
                    and_(job_pages.c.state == "running", job_pages.c.lease_until < now),
                )
            )
            .order_by(job_pages.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        with self.engine.begin() as conn:
            got = conn.execute(
                update(job_pages)
                .where(job_pages.c.id == pick)
                .values(
                    state="running",
                    lease_owner=owner,
                    lease_until=now + lease,
                    attempts=job_pages.c.attempts + 1,
                )
                .returning(
                    job_pages.c.id,
                    job_pages.c.job_id,
                    job_pages.c.page,
                    job_pages.c.file_idx,
                    job_pages.c.frame,
                    job_pages.c.attempts,
                )
            ).first()
            if got is None:
                return None
            conn.execute(
                update(jobs)
                .where(jobs.c.id == got.job_id, jobs.c.state == "queued")
                .values(state="running", started_at=now)
            )
            job = conn.execute(
                select(jobs.c.options, jobs.c.token, jobs.c.owner).where(jobs.c.id == got.job_id)
            ).one()
        return Claim(
            got.id,
            got.job_id,
            got.page,
            got.file_idx,
            got.frame,
            got.attempts,
            job.options,
            job.token or "",
            job.owner,
        )

    def file_data(self, job_id: str, idx: int) -> bytes | None:
        with self.engine.connect() as conn:
            data = conn.execute(
                select(job_files.c.data).where(job_files.c.job_id == job_id, job_files.c.idx == idx)
            ).scalar()
        return bytes(data) if data is not None else None

    def renew(self, page_ids: list[int], owner: str, until: float) -> None:
        if not page_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(job_pages)
                .where(
                    job_pages.c.id.in_(page_ids),
                    job_pages.c.lease_owner == owner,
                    job_pages.c.state == "running",
                )
                .values(lease_until=until)
            )

    def release(self, owner: str) -> int:
        """Give back every page `owner` holds (a clean shutdown): queued again, the try not counted."""
        with self.engine.begin() as conn:
            return conn.execute(
                update(job_pages)
                .where(job_pages.c.lease_owner == owner, job_pages.c.state == "running")
                .values(state="queued", lease_owner=None, lease_until=0.0, attempts=job_pages.c.attempts - 1)
            ).rowcount

    def requeue(self, claim: Claim, owner: str) -> bool:
        """Put a page back in the queue now, its try counted: it failed for a reason that may pass."""
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(job_pages)
                    .where(
                        job_pages.c.id == claim.page_id,
                        job_pages.c.lease_owner == owner,
                        job_pages.c.state == "running",
                    )
                    .values(state="queued", lease_owner=None, lease_until=0.0)
                ).rowcount
            )

    def finish_page(self, claim: Claim, entry: dict[str, Any], now: float, ttl: float) -> bool:
        """Write the page's entry unless it already has one; end the job after its last page."""
        state = "failed" if "error" in entry else "done"
        with self.engine.begin() as conn:
            written = conn.execute(
                update(job_pages)
                .where(job_pages.c.id == claim.page_id, job_pages.c.state == "running")
                .values(
                    state=state,
                    result=json.dumps(entry, ensure_ascii=False),
                    lease_owner=None,
                    finished_at=now,
                )
            ).rowcount
        if written:
            self._settle(claim.job_id, now, ttl)
        return bool(written)

    def _settle(self, job_id: str, now: float, ttl: float) -> None:
        with self.engine.begin() as conn:
            counts: dict[str, int] = dict(
                conn.execute(
                    select(job_pages.c.state, func.count())
                    .where(job_pages.c.job_id == job_id)
                    .group_by(job_pages.c.state)
                ).all()
            )
            if any(counts.get(s, 0) for s in PENDING):
                return
            final = "failed" if counts.get("failed", 0) and not counts.get("done", 0) else "done"
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.state.in_(PENDING))
                .values(state=final, finished_at=now, expires_at=now + ttl, token=None)
            )

    def cancel(self, job_id: str, owner: str, now: float, ttl: float) -> bool | None:
        """Cancel what has not run: None if no such job of `owner`, False if it had already ended."""
        with self.engine.begin() as conn:
            state = conn.execute(
                select(jobs.c.state).where(
                    jobs.c.id == job_id, jobs.c.owner == owner, jobs.c.expires_at > now
                )
            ).scalar()
            if state is None:
                return None
            if state not in PENDING:
                return False
            conn.execute(
                update(job_pages)
                .where(job_pages.c.job_id == job_id, job_pages.c.state == "queued")
                .values(state="cancelled")
            )
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(state="cancelled", finished_at=now, expires_at=now + ttl, token=None)
            )
        return True

    def get(self, job_id: str, owner: str, now: float) -> dict[str, Any] | None:
        """The job with its finished pages in page order; None for another owner's or an expired job."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(jobs).where(jobs.c.id == job_id, jobs.c.owner == owner, jobs.c.expires_at > now)
            ).first()
            if row is None:
                return None
            results = (
                conn.execute(
                    select(job_pages.c.result)
                    .where(job_pages.c.job_id == job_id, job_pages.c.result.is_not(None))
                    .order_by(job_pages.c.page)
                )
                .scalars()
                .all()
            )
        job = _summary(row._asdict(), len(results))
        job["pages"] = [json.loads(r) for r in results]
        return job

    def list(self, owner: str, now: float, limit: int) -> list[dict[str, Any]]:
        """The owner's jobs, newest first, without pages."""
        done = (
            select(func.count())
            .where(job_pages.c.job_id == jobs.c.id, job_pages.c.state.in_(("done", "failed")))
            .scalar_subquery()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(jobs, done.label("pages_done"))
                .where(jobs.c.owner == owner, jobs.c.expires_at > now)
                .order_by(jobs.c.created_at.desc())
                .limit(limit)
            ).all()
        return [_summary(r._asdict(), r.pages_done) for r in rows]

    def expire(self, now: float) -> int:
        """Remove the jobs whose time is up, with their files and pages."""
        with self.engine.begin() as conn:
            gone = select(jobs.c.id).where(jobs.c.expires_at <= now)
            conn.execute(delete(job_pages).where(job_pages.c.job_id.in_(gone)))
            conn.execute(delete(job_files).where(job_files.c.job_id.in_(gone)))
            return conn.execute(delete(jobs).where(jobs.c.expires_at <= now)).rowcount

    def close(self) -> None:
        self.engine.dispose()


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def _summary(row: dict[str, Any], pages_done: int) -> dict[str, Any]:
    """A job as the API shows it (times in ISO 8601, UTC)."""
    return {
        "id": row["id"],
        "state": row["state"],
        "name": row.get("name", ""),
        "pages_done": pages_done,
        "pages_total": row["pages_total"],
        "created_at": _iso(row["created_at"]),
        "started_at": _iso(row.get("started_at")),
        "finished_at": _iso(row.get("finished_at")),
        "expires_at": _iso(row["expires_at"]),
    }
