"""Settings of the user service."""

from __future__ import annotations

from pydantic import Field

from mesh.settings import MeshSettings


class UserSettings(MeshSettings):
    port: int = 8001
    database_url: str | None = None  # e.g. postgresql+psycopg://user:pw@host/db; default: SQLite file
    token_ttl_seconds: int = 3600
    key_rotation_days: float = 30.0  # at start-up, a signing key older than this is replaced; 0: never

    # Brute-force defence: failed logins per key within a fixed window, kept in the database.
    login_window_seconds: float = 600.0
    login_max_failures_per_user: int = 5
    login_max_failures_per_address: int = 50
    # Peers whose X-Forwarded-For is believed (addresses or networks): the gateway.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1"])

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
