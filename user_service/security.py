"""Password hashing and the account rules."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from passlib.context import CryptContext

from mesh.errors import ValidationFailed

# Argon2id at OWASP's first recommended profile: 19 MiB, 2 passes, 1 lane.
PASSWORDS = CryptContext(
    schemes=["argon2"],
    deprecated="auto",
    argon2__type="ID",
    argon2__memory_cost=19456,
    argon2__time_cost=2,
    argon2__parallelism=1,
)
_DUMMY_HASH = PASSWORDS.hash("not-a-real-password-just-for-timing")

_USERNAME = re.compile(r"^[\w.-]{3,32}$")


def _load_common() -> frozenset[str]:
    """The well-known passwords refused at registration, from the text file beside this module."""
    text = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8")
    lines = (line.strip().casefold() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


_COMMON = _load_common()


def normalise_username(raw: str) -> tuple[str, str]:
    """NFKC-normalised display name and its case-folded key for uniqueness."""
    name = unicodedata.normalize("NFKC", raw).strip()
    key = name.casefold()
    if not _USERNAME.match(name) or len(key) > 64:  # a few letters case-fold to three ("ΐ")
        raise ValidationFailed(
            "username must be 3–32 letters, digits, '_', '.' or '-'", code="invalid_username"
        )
    return name, key


def lookup_key(raw: str) -> str | None:
    """The uniqueness key of a login name, None when it cannot be a valid name."""
    try:
        return normalise_username(raw)[1]
    except ValidationFailed:
        return None


def check_password(password: str, username: str) -> None:
    if not 8 <= len(password) <= 128:
        raise ValidationFailed("password must be 8–128 characters long", code="weak_password")
    lowered = password.casefold()
    if lowered in _COMMON or lowered == username.casefold():
        raise ValidationFailed("this password is too common; choose another", code="weak_password")


def hash_password(password: str) -> str:
    return PASSWORDS.hash(password)


def verify_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """Check a password in constant-ish time; also returns a new hash if parameters changed."""
    if stored is None:
        PASSWORDS.verify(password, _DUMMY_HASH)
        return False, None
    return PASSWORDS.verify_and_update(password, stored)
