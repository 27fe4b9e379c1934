"""Registration, login and /me against a real SQLite file."""

from __future__ import annotations

from fastapi.testclient import TestClient

from user_service.config import UserSettings
from user_service.main import create_app

GOOD = {"username": "Alice", "password": "s3cret-pass!"}


def _error(r: object) -> str:
    return r.json()["error"]["code"]  # type: ignore[attr-defined, no-any-return]


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
