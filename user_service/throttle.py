"""Brute-force defence: failed logins per username and per client address, counted in the database.

A key ("user:<name>" or "addr:<ip>") may fail a set number of times in a fixed window; after that
it is locked out until the window ends. The counters live in the shared database, so every
user-service instance sees the same ones, and each failure is one atomic upsert.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mesh.errors import RateLimited
from user_service.config import UserSettings
from user_service.models import LoginFailure

Clock = Callable[[], float]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Upsert = postgresql.Insert | sqlite.Insert
_TABLE: Table = LoginFailure.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Limits:
    window_seconds: float
    per_user: int
    per_address: int

    @classmethod
    def from_settings(cls, settings: UserSettings) -> Limits:
        return cls(
            settings.login_window_seconds,
            settings.login_max_failures_per_user,
            settings.login_max_failures_per_address,
        )


class LoginThrottle:
    """Guards logins: `begin` refuses a locked-out key, the attempt then reports how it went."""

    def __init__(self, limits: Limits, clock: Clock = time.time) -> None:
        self.limits = limits
        self.clock = clock

    def begin(self, session: Session, username: str | None, raw_username: str, address: str) -> Attempt:
        """Check both keys before any password work; raise 429 `too_many_attempts` if one is locked."""
        keys = {
            user_key(username, raw_username): self.limits.per_user,
            address_key(address): self.limits.per_address,
        }
        now = self.clock()
        rows = session.execute(
            select(LoginFailure.key, LoginFailure.window_start, LoginFailure.failures).where(
                LoginFailure.key.in_(keys)
            )
        ).all()
        wait = 0.0
        for key, start, failures in rows:
            ends = start + self.limits.window_seconds
            if failures >= keys[key] and ends > now:
                wait = max(wait, ends - now)
        if wait > 0:
            raise RateLimited(
                "too many failed logins; wait before trying again", code="too_many_attempts", retry_after=wait
            )
        return Attempt(self, session, list(keys), {key for key, _, _ in rows})


@dataclass
class Attempt:
    throttle: LoginThrottle
    session: Session
    keys: list[str]  # the user key first, then the address key
    known: set[str]  # keys that already had a counter row

    def failed(self) -> None:
        """Count one failure for each key, atomically across instances, and drop expired rows."""
        now = self.throttle.clock()
        window = self.throttle.limits.window_seconds
        for key in self.keys:
            self.session.execute(_count_failure(self.session, key, now, window))
        self.session.execute(delete(LoginFailure).where(LoginFailure.window_start <= now - window))
        self.session.commit()

    def succeeded(self) -> None:
        """A good password clears the username's counter (not the address's)."""
        user = self.keys[0]
        if user in self.known:
            self.session.execute(delete(LoginFailure).where(LoginFailure.key == user))
            self.session.commit()


def _count_failure(session: Session, key: str, now: float, window: float) -> _Upsert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert(_TABLE).values(key=key, window_start=now, failures=1)
        stmt: _Upsert = insert
    elif dialect == "sqlite":
        stmt = sqlite.insert(_TABLE).values(key=key, window_start=now, failures=1)
    else:
        raise RuntimeError(f"the login throttle supports SQLite and PostgreSQL, not {dialect}")
    expired = _TABLE.c.window_start + window <= now
    return stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={
            "failures": case((expired, 1), else_=_TABLE.c.failures + 1),
            "window_start": case((expired, now), else_=_TABLE.c.window_start),
        },
    )


def user_key(username: str | None, raw: str) -> str:
    """The counter key of a login name: its case-folded key, or a digest when it is not a valid name."""
    if username is not None:
        return f"user:{username}"
    return "user:#" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def address_key(address: str) -> str:
    """IPv4 addresses count alone; IPv6 ones by their /64, which one client usually owns whole."""
    ip = _ip(address)
    if ip is None:
        return f"addr:{address[:100]}"
    if isinstance(ip, ipaddress.IPv6Address):
        return f"addr:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"addr:{ip}"


def parse_networks(entries: Sequence[str]) -> list[Network]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: X-Forwarded-For's first entry when the peer is a trusted proxy, else the peer."""
    peer = peer or "unknown"
    peer_ip = _ip(peer)
    if forwarded_for and peer_ip is not None and any(peer_ip in net for net in trusted):
        first = _ip(forwarded_for.split(",")[0].strip())
        if first is not None:
            return str(first)
    return peer


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address parsed, an IPv4-mapped IPv6 one as IPv4; None if it is no address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip
