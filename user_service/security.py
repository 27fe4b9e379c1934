"""Password hashing and the account rules."""

from __future__ import annotations

import re
import unicodedata

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
_COMMON = frozenset(
    """123456 12345678 123456789 1234567890 password password1 password123 qwerty qwerty123
    qwertyuiop 11111111 00000000 12341234 abc12345 abcd1234 iloveyou admin123 welcome1
    letmein1 passw0rd 1q2w3e4r 1qaz2wsx zaq12wsx sunshine princess football baseball
    dragon123 monkey123 88888888 66666666 a1234567 aa123456 woaini1314 qq123456""".split()
)


def normalise_username(raw: str) -> tuple[str, str]:
    """NFKC-normalised display name and its case-folded key for uniqueness."""
    name = unicodedata.normalize("NFKC", raw).strip()
    if not _USERNAME.match(name):
        raise ValidationFailed(
            "username must be 3–32 letters, digits, '_', '.' or '-'", code="invalid_username"
        )
    return name, name.casefold()


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
