"""Racing registrations on a real database: exactly one account per name, across instances."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from user_service.config import UserSettings
from user_service.db import make_engine
from user_service.main import create_app
from user_service.models import User

# One name in different spellings that all fold to the key "racer" (the last is full-width NFKC).
SPELLINGS = ["Racer", "racer", "RACER", "ｒａｃｅｒ"]


def test_racing_duplicate_registrations_make_exactly_one_user(settings: UserSettings) -> None:
    threads = 8
    barrier = threading.Barrier(threads)
    with TestClient(create_app(settings)) as a, TestClient(create_app(settings)) as b:

        def register(i: int) -> tuple[int, str]:
            client = (a, b)[i % 2]
            barrier.wait()  # all requests leave together; the unique index must pick one
            r = client.post(
                "/auth/register", json={"username": SPELLINGS[i % 4], "password": f"race-pass-{i}"}
            )
            return r.status_code, r.json().get("error", {}).get("code", "")

        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(register, range(threads)))

    assert sorted(status for status, _ in results) == [201] + [409] * (threads - 1), results
    assert {code for status, code in results if status == 409} == {"username_taken"}
    engine = make_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            assert (
                conn.scalar(select(func.count()).select_from(User).where(User.username_key == "racer")) == 1
            )
    finally:
        engine.dispose()
