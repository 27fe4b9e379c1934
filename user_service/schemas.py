"""Request and answer bodies of the user service."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, field_validator


class Credentials(BaseModel):
    username: str = Field(max_length=256)
    password: str = Field(max_length=1024)


class UserOut(BaseModel):
    id: int
    username: str
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        """SQLite drops the zone; every stored time is UTC."""
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
