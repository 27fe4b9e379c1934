"""SQL-shaped input is refused by the rules or stored verbatim, never executed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from user_service.config import UserSettings
from user_service.db import make_engine
from user_service.models import User

REFUSED = [
    "robert'); DROP TABLE users;--",
    "' OR '1'='1",
    "admin'--",
    'x" OR ""="',
    "a; DELETE FROM users",
    "name\x00null",
    "union select *",
]
# Inside the allowed characters, yet shaped like SQL: they must be stored as they are.
ALLOWED = ["DROP_TABLE_users", "users--", "or.1-1", "select.from-users", "1--1", "ＤＲＯＰ_x"]
QUOTED_PASSWORD = "x' OR '1'='1'; DROP TABLE users; -- \"quoted\""


def _count(settings: UserSettings) -> int:
    engine = make_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(User)) or 0)
    finally:
        engine.dispose()


def test_sql_shaped_names_outside_the_rules_are_refused(client: TestClient, settings: UserSettings) -> None:
    for name in REFUSED:
        r = client.post("/auth/register", json={"username": name, "password": "long-enough-1"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_username", (name, r.text)
        login = client.post("/auth/login", json={"username": name, "password": "' OR 1=1 --"})
        assert login.status_code == 401, (name, login.text)
    assert _count(settings) == 0


def test_sql_shaped_names_inside_the_rules_are_stored_verbatim(
    client: TestClient, settings: UserSettings
) -> None:
    for name in ALLOWED:
        r = client.post("/auth/register", json={"username": name, "password": QUOTED_PASSWORD})
        assert r.status_code == 201, (name, r.text)
    assert (
        client.post("/auth/login", json={"username": "users--", "password": QUOTED_PASSWORD}).status_code
        == 200
    )
    wrong = client.post("/auth/login", json={"username": "users--", "password": "' OR '1'='1"})
    assert wrong.status_code == 401
    engine = make_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            stored = set(conn.scalars(select(User.username)))
    finally:
        engine.dispose()
    assert stored == {*ALLOWED[:-1], "DROP_x"}  # the full-width name is kept in its NFKC form


def test_a_quoted_sql_password_round_trips(client: TestClient, settings: UserSettings) -> None:
    body = {"username": "quoter", "password": QUOTED_PASSWORD}
    assert client.post("/auth/register", json=body).status_code == 201
    token = client.post("/auth/login", json=body).json()["access_token"]
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "quoter"
    assert _count(settings) == 1
