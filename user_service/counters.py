"""Fixed-window counters by key, kept in the shared database so every instance sees the same ones.

A key ("pair:…", "user:…", "addr:…", "reg:…") counts hits in a window that starts with its
first hit; each hit is one atomic upsert, so instances racing on one key never lose a count.
The login throttle counts failures with them, the registration quota registrations.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from user_service.models import LoginFailure

Clock = Callable[[], float]
_Upsert = postgresql.Insert | sqlite.Insert
_TABLE: Table = LoginFailure.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Rule:
    """A key may be hit `limit` times in `window` seconds; then it waits until the window ends."""

    limit: int
    window: float


class WindowCounters:
    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock

    def wait(self, session: Session, rules: Mapping[str, Rule]) -> float:
        """Seconds until every key that has reached its limit is free again (0: none has)."""
        now = self.clock()
        rows = session.execute(
            select(LoginFailure.key, LoginFailure.window_start, LoginFailure.failures).where(
                LoginFailure.key.in_(rules)
            )
        ).all()
        wait = 0.0
        for key, start, hits in rows:
            rule = rules[key]
            ends = start + rule.window
            if hits >= rule.limit and ends > now:
                wait = max(wait, ends - now)
        return wait

    def hit(self, session: Session, key: str, window: float) -> tuple[int, float]:
        """Count one hit (not committed); returns the key's hits in its window and when that ends."""
        now = self.clock()
        row = session.execute(_upsert(session, key, now, window)).one()
        return int(row.failures), float(row.window_start) + window

    def clear(self, session: Session, key: str) -> None:
        session.execute(delete(LoginFailure).where(LoginFailure.key == key))

    def purge(self, session: Session, prefix: str, window: float) -> None:
        """Drop the expired counters of one kind, so the table holds only live ones."""
        now = self.clock()
        expired = LoginFailure.window_start <= now - window
        session.execute(
            delete(LoginFailure).where(LoginFailure.key.startswith(prefix, autoescape=True), expired)
        )


def _upsert(session: Session, key: str, now: float, window: float) -> ReturningInsert[tuple[int, float]]:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert(_TABLE).values(key=key, window_start=now, failures=1)
        stmt: _Upsert = insert
    elif dialect == "sqlite":
        stmt = sqlite.insert(_TABLE).values(key=key, window_start=now, failures=1)
    else:
        raise RuntimeError(f"the throttle counters support SQLite and PostgreSQL, not {dialect}")
    expired = _TABLE.c.window_start + window <= now
    return stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={
            "failures": case((expired, 1), else_=_TABLE.c.failures + 1),
            "window_start": case((expired, now), else_=_TABLE.c.window_start),
        },
    ).returning(_TABLE.c.failures, _TABLE.c.window_start)
