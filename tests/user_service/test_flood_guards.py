"""Registration quota, hash slots and a lockout that cannot be aimed at the owner, on real databases."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from mesh.errors import ServiceUnavailable
from tests.user_service.conftest import FakeClock
from user_service.config import UserSettings
from user_service.main import create_app
from user_service.quotas import HashSlots

GATEWAY = ("127.0.0.1", 40000)  # a trusted proxy: its X-Forwarded-For names the client
FLOODER = "203.0.113.9"


def _post(c: TestClient, path: str, body: dict[str, str], address: str) -> httpx.Response:
    return c.post(path, json=body, headers={"X-Forwarded-For": address})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def gw(settings: UserSettings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock), client=GATEWAY) as c:
        yield c


def test_200_registrations_from_one_address_get_the_quota_then_fast_429s(
    gw: TestClient, clock: FakeClock, settings: UserSettings
) -> None:
    quota = settings.register_max_per_hour
    statuses: list[int] = []
    refused_ms: list[float] = []
    for i in range(200):
        started = time.perf_counter()
        r = _post(gw, "/auth/register", {"username": f"junk{i:03d}", "password": "junk-password-1"}, FLOODER)
        statuses.append(r.status_code)
        if r.status_code == 429:
            refused_ms.append((time.perf_counter() - started) * 1000)
            assert r.json()["error"]["code"] == "registration_rate_limited"
            assert 1 <= int(r.headers["Retry-After"]) <= 3600
    print(f"\nquota {quota}: {Counter(statuses)}; 429 median {statistics.median(refused_ms):.1f} ms")
    assert statuses == [201] * quota + [429] * (200 - quota)
    # Another address is not affected, and the flooder gets its quota back after the hour.
    assert (
        _post(
            gw, "/auth/register", {"username": "honest", "password": "honest-pass-1"}, "198.51.100.4"
        ).status_code
        == 201
    )
    clock.advance(3601)
    assert (
        _post(gw, "/auth/register", {"username": "later", "password": "later-pass-1"}, FLOODER).status_code
        == 201
    )


def test_the_quota_is_shared_by_instances_and_loopback_is_exempt(
    settings: UserSettings, clock: FakeClock
) -> None:
    limited = settings.model_copy(update={"register_max_per_hour": 3})
    with (
        TestClient(create_app(limited, clock=clock), client=GATEWAY) as a,
        TestClient(create_app(limited, clock=clock), client=GATEWAY) as b,
    ):
        codes = [
            _post(
                (a, b)[i % 2], "/auth/register", {"username": f"two{i}", "password": "two-pass-123"}, FLOODER
            )
            for i in range(5)
        ]
        assert [r.status_code for r in codes] == [201, 201, 201, 429, 429]
        local = [
            a.post("/auth/register", json={"username": f"op{i}", "password": "op-pass-1234"})
            for i in range(5)
        ]
        assert [r.status_code for r in local] == [201] * 5  # the peer itself, 127.0.0.1, is exempt


def test_invalid_registrations_do_not_spend_the_quota(gw: TestClient) -> None:
    for _ in range(20):
        assert _post(gw, "/auth/register", {"username": "x", "password": "short"}, FLOODER).status_code == 422
    assert (
        _post(gw, "/auth/register", {"username": "valid", "password": "valid-pass-1"}, FLOODER).status_code
        == 201
    )


def test_hash_slots_refuse_fast_when_full() -> None:
    slots = HashSlots(1, wait=0.05)
    with slots.hold():
        started = time.perf_counter()
        with pytest.raises(ServiceUnavailable) as refused, slots.hold():
            pass
        assert refused.value.code == "overloaded" and refused.value.retry_after == 1
        assert time.perf_counter() - started < 1.0
    with slots.hold():  # released: free again
        pass


def test_a_burst_beyond_the_hash_slots_gets_503_not_a_queue(settings: UserSettings) -> None:
    tight = settings.model_copy(update={"hash_slots": 1, "hash_wait_seconds": 0.02})
    threads = 8
    barrier = threading.Barrier(threads)
    with TestClient(create_app(tight)) as c:

        def register(i: int) -> tuple[int, str, str]:
            barrier.wait()
            r = c.post("/auth/register", json={"username": f"burst{i}", "password": "burst-pass-1"})
            return r.status_code, r.json().get("error", {}).get("code", ""), r.headers.get("Retry-After", "")

        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(register, range(threads)))
    print(f"\nhash slots 1, 8 at once: {Counter(s for s, _, _ in results)}")
    assert {s for s, _, _ in results} <= {201, 503} and (201, "", "") in results
    assert (503, "overloaded", "1") in results


def test_an_attacker_failing_50_times_does_not_lock_the_owner_out(gw: TestClient) -> None:
    owner = {"username": "owner", "password": "owner-secret-9"}
    assert gw.post("/auth/register", json=owner).status_code == 201
    wrong = {"username": "owner", "password": "guess-password-0"}
    attacker = [_post(gw, "/auth/login", wrong, "203.0.113.66").status_code for _ in range(50)]
    assert attacker == [401] * 5 + [429] * 45  # the default pair limit: 5 in 15 minutes
    assert _post(gw, "/auth/login", owner, "198.51.100.20").status_code == 200  # the owner gets in
    assert _post(gw, "/auth/login", owner, "198.51.100.20").status_code == 200
    locked = _post(gw, "/auth/login", owner, "203.0.113.66")  # the attacker stays locked, even
    assert locked.status_code == 429  # with the right password
    assert locked.json()["error"]["code"] == "too_many_attempts"
    assert 800 <= int(locked.headers["Retry-After"]) <= 900


def test_parallel_guesses_from_one_client_get_exactly_the_pair_limit(settings: UserSettings) -> None:
    roomy = settings.model_copy(update={"hash_slots": 4, "hash_wait_seconds": 30.0})  # no 503s here
    threads = 20
    barrier = threading.Barrier(threads)
    with TestClient(create_app(roomy), client=GATEWAY) as c:
        assert (
            c.post("/auth/register", json={"username": "victim", "password": "victim-pass-1"}).status_code
            == 201
        )

        def guess(i: int) -> int:
            barrier.wait()
            wrong = {"username": "victim", "password": f"wrong-pass-{i}"}
            return _post(c, "/auth/login", wrong, "203.0.113.5").status_code

        with ThreadPoolExecutor(threads) as pool:
            statuses = Counter(pool.map(guess, range(threads)))
    # Checked, then counted after the hash, they would all pass the check at once: 13 of 20 did.
    assert statuses == {401: 5, 429: 15}, statuses
