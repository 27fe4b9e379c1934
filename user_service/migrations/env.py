"""Alembic environment: migrations run on the connection that start-up hands over (db.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from user_service.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them against a database")

_given = context.config.attributes.get("connection")
if isinstance(_given, Connection):
    _run(_given)
else:
    with create_engine(context.config.get_main_option("sqlalchemy.url", "")).begin() as _conn:
        _run(_conn)
