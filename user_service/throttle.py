"""Brute-force defence that cannot be aimed at someone else, after OWASP's Authentication Cheat Sheet.

Failed logins are counted on three keys, each a fixed window in the shared database
(`user_service.counters`):

- the (username, address) pair: a low limit, so one client guessing one name stops soon, and
  only that client: the owner, from an address that has not been failing, is not affected;
- the address across every name: password spraying from one client;
- the username across every address, with a higher limit over a longer window: bounds the
  guesses a distributed attacker gets at one name.

A locked key refuses before any password work (429 `too_many_attempts`, Retry-After).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mesh.errors import RateLimited
from user_service.addresses import address_key
from user_service.config import UserSettings
from user_service.counters import Rule, WindowCounters


@dataclass(frozen=True)
class Limits:
    per_pair: Rule
    per_address: Rule
    per_user: Rule

    @classmethod
    def from_settings(cls, s: UserSettings) -> Limits:
        return cls(
            Rule(s.login_max_failures_per_pair, s.login_window_seconds),
            Rule(s.login_max_failures_per_address, s.login_window_seconds),
            Rule(s.login_max_failures_per_user, s.login_user_window_seconds),
        )


class LoginThrottle:
    """Guards logins: `begin` refuses a locked-out key, `Attempt.claim` takes one of the pair's
    tries, and the attempt then reports how it went."""

    def __init__(self, limits: Limits, counters: WindowCounters) -> None:
        self.limits = limits
        self.counters = counters

    def begin(self, session: Session, username: str | None, raw_username: str, address: str) -> Attempt:
        """Check the three keys (reads only) before any password work; 429 if one is locked."""
        user = user_key(username, raw_username)
        addr = address_key(address)
        rules = {
            pair_key(user, addr): self.limits.per_pair,
            addr: self.limits.per_address,
            user: self.limits.per_user,
        }
        wait = self.counters.wait(session, rules)
        if wait > 0:
            raise _locked(wait)
        return Attempt(self.counters, session, rules)


@dataclass
class Attempt:
    counters: WindowCounters
    session: Session
    rules: dict[str, Rule]  # the pair key first, then the address and the user keys

    @property
    def pair(self) -> tuple[str, Rule]:
        return next(iter(self.rules.items()))

    def claim(self) -> None:
        """Count this try on the pair before the password is checked, in one atomic upsert, so that
        parallel tries from one client get exactly the pair's limit (the rest 429), not one each."""
        key, rule = self.pair
        tries, ends = self.counters.hit(self.session, key, rule.window)
        self.session.commit()
        if tries > rule.limit:
            raise _locked(ends - self.counters.clock())

    def failed(self) -> None:
        """Count the failure on the address and the name (the pair has it already), atomically
        across instances, and drop expired counters."""
        for key, rule in list(self.rules.items())[1:]:
            self.counters.hit(self.session, key, rule.window)
        for key, rule in self.rules.items():
            self.counters.purge(self.session, key.split(":", 1)[0] + ":", rule.window)
        self.session.commit()

    def succeeded(self) -> None:
        """A good password clears this client's tries on this name, nothing else: an attacker's
        pair elsewhere stays locked, and the name's own count still bounds distributed guessing."""
        self.counters.clear(self.session, self.pair[0])
        self.session.commit()


def _locked(wait: float) -> RateLimited:
    return RateLimited(
        "too many failed logins; wait before trying again", code="too_many_attempts", retry_after=wait
    )


def user_key(username: str | None, raw: str) -> str:
    """The counter key of a login name: its case-folded key, or a digest when it is not a valid name."""
    if username is not None:
        return f"user:{username}"
    return "user:#" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def pair_key(user: str, addr: str) -> str:
    """The (name, address) key, a digest so that it fits the key column whatever the two are."""
    return "pair:" + hashlib.sha256(f"{user}\n{addr}".encode("utf-8", "surrogatepass")).hexdigest()[:40]
