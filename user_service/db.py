"""Engine, schema migrations at start-up, and per-request sessions."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from mesh.sql import make_engine

MIGRATIONS = Path(__file__).with_name("migrations")
__all__ = ["make_engine", "schema_revision", "upgrade"]
_PG_MIGRATION_LOCK = 0x6F63_726D_6573_68  # "ocrmesh": one advisory lock id for every instance


def upgrade(engine: Engine) -> None:
    """Run the Alembic migrations up to head; safe when several instances start at once.

    Migrations only add: no revision drops a table that holds accounts. Instances serialise on a
    file lock beside the SQLite file, or on a transaction-scoped advisory lock in PostgreSQL.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _sqlite_file_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at, None before any migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    path = Path(f"{database}.migrate-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
