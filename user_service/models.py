"""Database models of the user service (the schema itself is made by the Alembic migrations)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Double, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    username_key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginFailure(Base):
    """Failed logins of one key ("user:…" or "addr:…") in the window that started at window_start."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[float] = mapped_column(Double, index=True)  # epoch seconds
    failures: Mapped[int] = mapped_column(Integer)
