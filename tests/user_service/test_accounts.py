"""Registration, login and /me against a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from fastapi.testclient import TestClient
from passlib.context import CryptContext
from sqlalchemy import select
from sqlalchemy.orm import Session

from user_service.config import UserSettings
from user_service.db import make_engine
from user_service.main import create_app
from user_service.models import User
from user_service.security import _COMMON, PASSWORDS

GOOD = {"username": "Alice", "password": "s3cret-pass!"}


def _error(r: object) -> str:
    return r.json()["error"]["code"]  # type: ignore[attr-defined]


def test_register_then_login_then_me(client: TestClient) -> None:
    r = client.post("/auth/register", json=GOOD)
    assert r.status_code == 201
    assert r.json()["username"] == "Alice"
    assert r.json()["created_at"].endswith("Z") or "+00:00" in r.json()["created_at"]
    r = client.post("/auth/login", json={"username": "ALICE", "password": GOOD["password"]})
    assert r.status_code == 200
    token = r.json()["access_token"]
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "Alice"


def test_taken_name_is_409_case_insensitively(client: TestClient) -> None:
    client.post("/auth/register", json=GOOD)
    r = client.post("/auth/register", json={"username": "alice", "password": "another-secret"})
    assert r.status_code == 409 and _error(r) == "username_taken"


def test_account_rules(client: TestClient) -> None:
    cases = [
        ({"username": "ab", "password": "long-enough-1"}, "invalid_username"),
        ({"username": "robert'); DROP TABLE users;--", "password": "long-enough-1"}, "invalid_username"),
        ({"username": "bob", "password": "short"}, "weak_password"),
        ({"username": "bob", "password": "password123"}, "weak_password"),
        ({"username": "bob"}, "validation_failed"),
    ]
    for body, code in cases:
        r = client.post("/auth/register", json=body)
        assert r.status_code == 422 and _error(r) == code, (body, r.text)


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    client.post("/auth/register", json=GOOD)
    wrong = client.post("/auth/login", json={"username": "alice", "password": "not-the-password"})
    unknown = client.post("/auth/login", json={"username": "nobody", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_a_restart_loses_no_user_and_keeps_the_key(settings: UserSettings) -> None:
    with TestClient(create_app(settings)) as c:
        c.post("/auth/register", json=GOOD)
        kid = c.get("/.well-known/jwks.json").json()["keys"][0]["kid"]
    with TestClient(create_app(settings)) as c:
        assert c.post("/auth/login", json=GOOD).status_code == 200
        assert c.get("/.well-known/jwks.json").json()["keys"][0]["kid"] == kid


def test_a_hash_with_old_parameters_is_upgraded_at_login(settings: UserSettings) -> None:
    weak = CryptContext(schemes=["argon2"], argon2__type="ID", argon2__memory_cost=4096, argon2__time_cost=1)
    with TestClient(create_app(settings)) as c:
        engine = make_engine(settings.db_url)
        try:
            with Session(engine) as session:
                session.add(
                    User(username="Old", username_key="old", password_hash=weak.hash(GOOD["password"]))
                )
                session.commit()
            assert PASSWORDS.needs_update(weak.hash("x"))
            assert (
                c.post("/auth/login", json={"username": "old", "password": GOOD["password"]}).status_code
                == 200
            )
            with Session(engine) as session:
                stored = session.scalars(select(User.password_hash).where(User.username_key == "old")).one()
        finally:
            engine.dispose()
        assert "$argon2id$" in stored and "m=19456,t=2,p=1" in stored
        assert not PASSWORDS.needs_update(stored)
        assert (
            c.post("/auth/login", json={"username": "old", "password": GOOD["password"]}).status_code == 200
        )


def test_common_passwords_come_from_the_list(client: TestClient) -> None:
    for password in ("Sunshine1", "liverpool", "P@ssw0rd", "qwertyuiop"):
        r = client.post("/auth/register", json={"username": "erin", "password": password})
        assert r.status_code == 422 and _error(r) == "weak_password", password
    assert len(_COMMON) >= 300


def test_names_whose_case_fold_grows_past_the_column_are_refused(client: TestClient) -> None:
    r = client.post("/auth/register", json={"username": "ΐ" * 32, "password": "long-enough-1"})
    assert r.status_code == 422 and _error(r) == "invalid_username"
    r = client.post("/auth/register", json={"username": "ΐ" * 16, "password": "long-enough-1"})
    assert r.status_code == 201
