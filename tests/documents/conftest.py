"""The job store runs against a SQLite file and a real, throwaway PostgreSQL, as the user service does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.user_service.conftest import postgres  # noqa: F401 - the session's PostgreSQL cluster
from tests.user_service.postgres import PostgresCluster


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.new_database()
