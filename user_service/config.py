"""Settings of the user service."""

from __future__ import annotations

import os

from pydantic import Field

from mesh.settings import MeshSettings


class UserSettings(MeshSettings):
    port: int = 8001
    database_url: str | None = None  # e.g. postgresql+psycopg://user:pw@host/db; default: SQLite file
    token_ttl_seconds: int = 3600
    key_rotation_days: float = 30.0  # at start-up, a signing key older than this is replaced; 0: never

    # Brute-force defence (user_service/throttle.py): failed logins per key in fixed windows, kept
    # in the database. The (name, address) pair locks soon; the name alone only after many
    # failures from several addresses; the address alone when it sprays many names.
    login_window_seconds: float = 900.0  # the pair's and the address's window
    login_max_failures_per_pair: int = 5
    login_max_failures_per_address: int = 50
    login_user_window_seconds: float = 3600.0
    login_max_failures_per_user: int = 50

    # Registration floods (user_service/quotas.py): a quota per client address and hour, shared
    # by all instances (0 turns it off); loopback is exempt, since anything on this host can reach
    # the service directly and name any address anyway. Then a cap on password hashes at once.
    register_max_per_hour: int = 10
    register_quota_exempt: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    hash_slots: int = Field(default_factory=lambda: os.cpu_count() or 1)
    hash_wait_seconds: float = 1.0

    @property
    def db_url(self) -> str:
        """DATABASE_URL if set, else a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'users.db').resolve()}"

    @property
    def key_retention_seconds(self) -> float:
        """How long a replaced key stays published: the longest a token it signed can live, plus skew."""
        return self.token_ttl_seconds + 300.0
