"""The login throttle against real databases: trips, releases, and is shared by instances."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.user_service.conftest import FakeClock
from user_service.addresses import address_key, client_address
from user_service.config import UserSettings
from user_service.main import create_app

GOOD = {"username": "carol", "password": "right-password-9"}
WRONG = {"username": "carol", "password": "wrong-password-9"}
GATEWAY = ("127.0.0.1", 40000)


@pytest.fixture
def limited(settings: UserSettings) -> UserSettings:
    return settings.model_copy(
        update={
            "login_max_failures_per_pair": 3,
            "login_max_failures_per_address": 5,
            "login_window_seconds": 60,
            "login_max_failures_per_user": 10,
            "login_user_window_seconds": 120,
        }
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def gw(limited: UserSettings, clock: FakeClock) -> Iterator[TestClient]:
    """A client that reaches the service the way the gateway does: from a trusted proxy."""
    with TestClient(create_app(limited, clock=clock), client=GATEWAY) as c:
        assert c.post("/auth/register", json=GOOD).status_code == 201
        yield c


def _login(c: TestClient, body: dict[str, str], address: str = "198.51.100.7") -> httpx.Response:
    return c.post("/auth/login", json=body, headers={"X-Forwarded-For": f"{address}, 10.0.0.1"})


def test_trips_after_the_limit_and_releases_after_the_window(gw: TestClient, clock: FakeClock) -> None:
    assert [_login(gw, WRONG).status_code for _ in range(3)] == [401, 401, 401]
    locked = _login(gw, GOOD)  # even the right password waits: this name from this address is locked
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(locked.headers["Retry-After"]) <= 60
    clock.advance(30)
    assert _login(gw, GOOD).status_code == 429
    assert 1 <= int(_login(gw, GOOD).headers["Retry-After"]) <= 30
    clock.advance(31)
    assert _login(gw, GOOD).status_code == 200


def test_unknown_names_are_throttled_like_known_ones(gw: TestClient) -> None:
    ghost = {"username": "nobody-here", "password": "whatever-123"}
    assert [_login(gw, ghost).status_code for _ in range(4)] == [401, 401, 401, 429]


def test_a_good_login_resets_the_pair_counter(gw: TestClient) -> None:
    assert [_login(gw, WRONG).status_code for _ in range(2)] == [401, 401]
    assert _login(gw, GOOD).status_code == 200
    assert [_login(gw, WRONG).status_code for _ in range(3)] == [401, 401, 401]
    assert _login(gw, WRONG).status_code == 429


def test_one_address_is_throttled_across_names(gw: TestClient) -> None:
    for i in range(5):
        body = {"username": f"user{i}", "password": "guessing-123"}
        assert _login(gw, body, "203.0.113.5").status_code == 401
    assert _login(gw, GOOD, "203.0.113.5").status_code == 429  # the address is locked out
    assert _login(gw, GOOD, "203.0.113.6").status_code == 200  # another client is not


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(limited: UserSettings, clock: FakeClock) -> None:
    app = create_app(limited, clock=clock)
    with TestClient(app, client=("192.0.2.50", 5555)) as direct:
        direct.post("/auth/register", json=GOOD)
        # A client talking directly cannot dodge its address's counter by making up X-Forwarded-For.
        for i in range(5):
            body = {"username": f"spray{i}", "password": "guessing-123"}
            assert _login(direct, body, f"10.9.9.{i}").status_code == 401
        assert _login(direct, GOOD, "10.9.9.99").status_code == 429


def test_two_instances_share_one_throttle(limited: UserSettings, clock: FakeClock) -> None:
    with (
        TestClient(create_app(limited, clock=clock), client=GATEWAY) as a,
        TestClient(create_app(limited, clock=clock), client=GATEWAY) as b,
    ):
        assert a.post("/auth/register", json=GOOD).status_code == 201
        assert [_login(c, WRONG).status_code for c in (a, b, a)] == [401, 401, 401]
        assert _login(b, GOOD).status_code == 429
        assert _login(a, GOOD).status_code == 429
        clock.advance(61)
        assert _login(b, GOOD).status_code == 200


def test_many_addresses_failing_on_one_name_lock_it_for_the_user_window(
    gw: TestClient, clock: FakeClock
) -> None:
    """The slower per-name limit: 10 failures from 4 addresses (none over its pair limit of 3)."""
    for i, count in enumerate((3, 3, 3, 1)):
        assert [_login(gw, WRONG, f"198.51.100.{i}").status_code for _ in range(count)] == [401] * count
    assert _login(gw, GOOD, "192.0.2.200").status_code == 429  # the name is locked, from anywhere
    clock.advance(61)  # the pairs' window is over, the name's is not
    assert _login(gw, GOOD, "192.0.2.200").status_code == 429
    clock.advance(60)
    assert _login(gw, GOOD, "192.0.2.200").status_code == 200


def test_client_address_rules() -> None:
    trusted = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8")]
    assert client_address("127.0.0.1", "203.0.113.1, 10.0.0.2", trusted) == "203.0.113.1"
    assert client_address("10.1.2.3", " 2001:db8::1 ", trusted) == "2001:db8::1"
    assert client_address("::ffff:127.0.0.1", "203.0.113.1", trusted) == "203.0.113.1"
    assert client_address("192.0.2.9", "203.0.113.1", trusted) == "192.0.2.9"  # untrusted peer
    assert client_address("127.0.0.1", "not-an-ip", trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", None, trusted) == "127.0.0.1"
    assert client_address(None, "203.0.113.1", trusted) == "unknown"


def test_ipv6_clients_count_by_their_64() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9") == "addr:2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("203.0.113.1") == "addr:203.0.113.1"
