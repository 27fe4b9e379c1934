"""Tables of the job store: jobs, their uploaded files, and one row per page (the queue itself).

Times are epoch seconds (float): leases compare them across gateway instances and hosts.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

STATES = ("queued", "running", "done", "failed", "cancelled")
PENDING = ("queued", "running")

jobs = Table(
    "ocr_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("state", String(16), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("pages_total", Integer, nullable=False),
    Column("options", String(512), nullable=False, default=""),  # the query options, as sent
    Column("token", Text, nullable=True),  # the submitter's bearer token, cleared when the job ends
    Column("created_at", Double, nullable=False),
    Column("started_at", Double, nullable=True),
    Column("finished_at", Double, nullable=True),
    Column("expires_at", Double, nullable=False),
    Index("ix_ocr_jobs_owner_created", "owner", "created_at"),
    Index("ix_ocr_jobs_expires", "expires_at"),
)

job_files = Table(
    "ocr_job_files",
    metadata,
    Column("job_id", String(32), ForeignKey("ocr_jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("filename", String(200), nullable=False, default=""),
    Column("data", LargeBinary, nullable=False),
)

job_pages = Table(
    "ocr_job_pages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("ocr_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("page", Integer, nullable=False),  # 1-based, in the job's page order
    Column("file_idx", Integer, nullable=False),
    Column("frame", Integer, nullable=False),  # 0-based page within that file
    Column("state", String(16), nullable=False),  # queued, running, done, failed, cancelled
    Column("lease_owner", String(96), nullable=True),
    Column("lease_until", Double, nullable=False, default=0.0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("result", Text, nullable=True),  # the page entry as JSON, written once
    Column("finished_at", Double, nullable=True),
    Index("ix_ocr_job_pages_job", "job_id", "page", unique=True),
    Index("ix_ocr_job_pages_state", "state", "id"),
)
