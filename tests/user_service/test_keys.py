"""Signing-key rotation: the new key signs, old tokens stay valid until they expire, then it goes."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
from fastapi.testclient import TestClient

from user_service.admin import rotate_signing_key
from user_service.config import UserSettings
from user_service.keys import KeyRing
from user_service.main import create_app

GOOD = {"username": "dave", "password": "rotating-secret-7"}
DAY = 86400.0


def _kids(c: TestClient) -> list[str]:
    return [k["kid"] for k in c.get("/.well-known/jwks.json").json()["keys"]]


def _token(c: TestClient) -> str:
    token = c.post("/auth/login", json=GOOD).json()["access_token"]
    assert isinstance(token, str)
    return token


def _me(c: TestClient, token: str) -> int:
    return c.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_rotation_keeps_old_tokens_valid_then_prunes_the_old_key(sqlite_settings: UserSettings) -> None:
    with TestClient(create_app(sqlite_settings)) as c:
        c.post("/auth/register", json=GOOD)
        old_token = _token(c)
        (old_kid,) = _kids(c)

        new_kid = rotate_signing_key(sqlite_settings)  # as `ocr-mesh` would, beside the running service
        assert new_kid != old_kid
        new_token = _token(c)  # the running instance picked the new key up from the folder
        assert jwt.get_unverified_header(new_token)["kid"] == new_kid
        assert _kids(c) == [old_kid, new_kid]
        assert _me(c, old_token) == _me(c, new_token) == 200

        # Once every token of the old key has expired, the next rotation prunes it.
        later = time.time() + sqlite_settings.key_retention_seconds + 10
        ring = KeyRing.rotate(
            sqlite_settings.data_dir / "keys", retain=sqlite_settings.key_retention_seconds, now=later
        )
        assert _kids(c) == [new_kid, ring.current.kid]


def _age_current_key(settings: UserSettings, days: float) -> str:
    folder = settings.data_dir / "keys"
    (meta,) = folder.glob("ed25519-*.json")
    meta.write_text(json.dumps({"created": time.time() - days * DAY}))
    return meta.stem.removeprefix("ed25519-")


def test_start_up_replaces_a_key_older_than_the_rotation_period(sqlite_settings: UserSettings) -> None:
    with TestClient(create_app(sqlite_settings)) as c:
        c.post("/auth/register", json=GOOD)
    old_kid = _age_current_key(sqlite_settings, 31)
    with TestClient(create_app(sqlite_settings)) as c:
        kids = _kids(c)
        assert len(kids) == 2 and kids[0] == old_kid
        assert jwt.get_unverified_header(_token(c))["kid"] == kids[1]


def test_a_young_key_or_rotation_off_keeps_the_key(sqlite_settings: UserSettings) -> None:
    with TestClient(create_app(sqlite_settings)):
        pass
    _age_current_key(sqlite_settings, 29)
    with TestClient(create_app(sqlite_settings)) as c:
        assert len(_kids(c)) == 1
    _age_current_key(sqlite_settings, 400)
    off = sqlite_settings.model_copy(update={"key_rotation_days": 0})
    with TestClient(create_app(off)) as c:
        assert len(_kids(c)) == 1


def test_instances_starting_together_make_one_new_key(sqlite_settings: UserSettings) -> None:
    folder = sqlite_settings.data_dir / "keys"
    KeyRing.load_or_create(folder)
    _age_current_key(sqlite_settings, 60)
    barrier = threading.Barrier(4)

    def start(_: int) -> str:
        barrier.wait()
        return KeyRing.load_or_create(folder, rotate_after=30 * DAY, retain=3600).current.kid

    with ThreadPoolExecutor(4) as pool:
        assert len(set(pool.map(start, range(4)))) == 1
    assert len(list(folder.glob("ed25519-*.pem"))) == 2
