"""Settings of the user service."""

from __future__ import annotations

from mesh.settings import MeshSettings
from mesh.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER


class UserSettings(MeshSettings):
    port: int = 8001
    database_url: str | None = None
    token_issuer: str = DEFAULT_ISSUER
    token_audience: str = DEFAULT_AUDIENCE
    token_ttl_seconds: int = 3600

    @property
    def db_url(self) -> str:
        """DATABASE_URL if set, else a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'users.db').resolve()}"
