"""Alembic at start-up: from empty, again (a no-op), from a pre-migration database, concurrently."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from user_service.admin import upgrade_database
from user_service.config import UserSettings
from user_service.db import make_engine, schema_revision, upgrade
from user_service.main import create_app
from user_service.models import Base, User
from user_service.security import hash_password

HEAD = "0002"
GOOD = {"username": "keeper", "password": "keep-me-safe-1"}


def test_upgrade_from_empty_then_again_keeps_users(settings: UserSettings) -> None:
    engine = make_engine(settings.db_url)
    try:
        assert schema_revision(engine) is None
        upgrade(engine)
        assert schema_revision(engine) == HEAD
        assert {"users", "login_failures", "alembic_version"} <= set(inspect(engine).get_table_names())
        with TestClient(create_app(settings)) as c:  # start-up upgrades again: a no-op
            assert c.post("/auth/register", json=GOOD).status_code == 201
        assert upgrade_database(settings) == HEAD
        upgrade(engine)
        with Session(engine) as session:
            assert session.scalars(select(User.username)).all() == ["keeper"]
        with TestClient(create_app(settings)) as c:
            assert c.post("/auth/login", json=GOOD).status_code == 200
    finally:
        engine.dispose()


def test_a_database_made_before_migrations_is_adopted(settings: UserSettings) -> None:
    engine = make_engine(settings.db_url)
    try:
        Base.metadata.tables["users"].create(engine)  # what the old create_all start-up made
        with Session(engine) as session:
            session.add(
                User(username="old", username_key="old", password_hash=hash_password(GOOD["password"]))
            )
            session.commit()
        upgrade(engine)
        assert schema_revision(engine) == HEAD
        with TestClient(create_app(settings)) as c:
            assert (
                c.post("/auth/login", json={"username": "old", "password": GOOD["password"]}).status_code
                == 200
            )
    finally:
        engine.dispose()


def test_instances_starting_together_migrate_once(settings: UserSettings) -> None:
    count = 4
    barrier = threading.Barrier(count)

    def start(_: int) -> str | None:
        engine = make_engine(settings.db_url)  # one engine per instance, as separate processes have
        try:
            barrier.wait()
            upgrade(engine)
            return schema_revision(engine)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(count) as pool:
        assert list(pool.map(start, range(count))) == [HEAD] * count
