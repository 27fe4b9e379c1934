"""Settings of jobs (mixed into GatewaySettings, so `OCR_MESH_*` environment variables)."""

from __future__ import annotations

from pydantic import BaseModel


class JobSettings(BaseModel):
    # The store every gateway shares: default a SQLite file in the data folder (WAL); for several
    # hosts a PostgreSQL URL, e.g. postgresql+psycopg://user:pass@db/ocr (docs/documents.md).
    jobs_database_url: str | None = None
    job_ttl_seconds: float = 24 * 3600  # a job and its results are removed this long after it ends
    job_workers: int = 4  # pages this gateway reads at once for jobs ...
    # ... and at most this many for each OCR instance in rotation (0: no such bound): one being
    # read and one ready. More would only wait in the node's queue, where a long page's wait runs
    # into the OCR deadline (a timeout, and the node ejected) and pages are not shared out anew.
    job_pages_per_instance: int = 2
    job_lease_seconds: float = 30.0  # a claimed page returns to the queue if not renewed in time
    job_poll_seconds: float = 0.5  # how soon an idle worker looks again for work queued elsewhere …
    job_poll_max_seconds: float = 4.0  # … doubling up to this while there is none
    job_max_attempts: int = 3  # tries of one page (a lapsed lease or a passing error) before it fails
    job_list_limit: int = 50  # jobs GET /api/jobs lists
