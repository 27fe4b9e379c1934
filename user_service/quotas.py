"""Flood guards around password hashing: a registration quota per address, and hash slots per instance."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy.orm import Session

from mesh.errors import RateLimited, ServiceUnavailable
from user_service.addresses import Network, address_key, in_networks
from user_service.counters import Rule, WindowCounters

HOUR = 3600.0


class RegistrationQuota:
    """At most `per_hour` registrations per client address in a fixed hour, counted in the shared
    database (all instances), before any hashing; addresses in `exempt` are not counted."""

    def __init__(self, per_hour: int, exempt: Sequence[Network], counters: WindowCounters) -> None:
        self.per_hour = per_hour
        self.exempt = list(exempt)
        self.counters = counters

    def take(self, session: Session, address: str) -> None:
        """Count this registration; 429 `registration_rate_limited` once the address is over quota.

        An address already over it is refused on a read, so a flood of refusals writes nothing.
        """
        if self.per_hour <= 0 or in_networks(address, self.exempt):
            return
        key = "reg:" + address_key(address)
        wait = self.counters.wait(session, {key: Rule(self.per_hour, HOUR)})
        if wait > 0:
            raise self._limited(wait)
        hits, ends = self.counters.hit(session, key, HOUR)
        if hits == 1:  # a new window: a good moment to drop the expired ones
            self.counters.purge(session, "reg:", HOUR)
        session.commit()
        if hits > self.per_hour:
            raise self._limited(ends - self.counters.clock())

    def _limited(self, wait: float) -> RateLimited:
        return RateLimited(
            f"at most {self.per_hour} registrations an hour from one address; try again later",
            code="registration_rate_limited",
            retry_after=wait,
        )


class HashSlots:
    """At most `slots` password hashes at once in this instance; a caller that cannot get a slot
    within `wait` seconds is refused (503 `overloaded`, Retry-After) instead of queueing CPU work."""

    def __init__(self, slots: int, wait: float) -> None:
        self._slots = threading.BoundedSemaphore(max(1, slots))
        self.wait = wait

    @contextmanager
    def hold(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait):
            raise ServiceUnavailable(
                "too many passwords are being checked right now; try again shortly",
                code="overloaded",
                retry_after=1,
            )
        try:
            yield
        finally:
            self._slots.release()
