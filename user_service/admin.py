"""Operations without a server: upgrade the schema, rotate the signing key (for `ocr-mesh`)."""

from __future__ import annotations

from user_service.config import UserSettings
from user_service.db import make_engine, schema_revision, upgrade
from user_service.keys import KeyRing


def upgrade_database(settings: UserSettings | None = None) -> str | None:
    """Run the migrations to head (a no-op when current); returns the revision now in force."""
    settings = settings or UserSettings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    try:
        upgrade(engine)
        return schema_revision(engine)
    finally:
        engine.dispose()


def rotate_signing_key(settings: UserSettings | None = None) -> str:
    """Make a new signing key now and return its kid.

    Running instances pick it up on their next request (they watch the key folder); tokens
    signed by the previous key stay valid, and it stays in the JWKS, until they expire.
    """
    settings = settings or UserSettings()
    ring = KeyRing.rotate(settings.data_dir / "keys", retain=settings.key_retention_seconds)
    return ring.current.kid
