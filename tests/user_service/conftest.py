"""Fixtures: every DB-using test runs against a SQLite file and a real, throwaway PostgreSQL."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.user_service.postgres import PostgresCluster, PostgresMissing
from user_service.config import UserSettings
from user_service.main import create_app


class FakeClock:
    """A clock the tests move by hand (the login throttle's windows)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One cluster for the session; SIGTERM (a CI timeout) still runs the teardown that stops it."""
    try:
        cluster = PostgresCluster().start()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield cluster
    finally:
        signal.signal(signal.SIGTERM, previous)
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None means the default: a SQLite file in the data folder."""
    if request.param == "sqlite":
        return None
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> UserSettings:
    return UserSettings(data_dir=tmp_path, nacos_enabled=False, database_url=database_url)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> UserSettings:
    """For tests of keys and rules, where the database backend does not matter."""
    return UserSettings(data_dir=tmp_path, nacos_enabled=False)


@pytest.fixture
def client(settings: UserSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c
