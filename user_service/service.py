"""Account logic: register, log in (throttled), issue tokens."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mesh.errors import Conflict, NotFound, Unauthorized
from user_service.config import UserSettings
from user_service.keys import KeyRing
from user_service.models import User
from user_service.quotas import HashSlots, RegistrationQuota
from user_service.security import (
    check_password,
    hash_password,
    lookup_key,
    normalise_username,
    verify_password,
)
from user_service.throttle import LoginThrottle


def register(
    session: Session, quota: RegistrationQuota, slots: HashSlots, username: str, password: str, address: str
) -> User:
    """Create an account; the unique index on username_key decides between racing registrations.

    The cheap checks and the address's quota come first, the costly hash last, in a hash slot.
    """
    name, key = normalise_username(username)
    check_password(password, name)
    quota.take(session, address)
    with slots.hold():
        password_hash = hash_password(password)
    user = User(username=name, username_key=key, password_hash=password_hash)
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"the username '{name}' is taken", code="username_taken") from exc
    session.refresh(user)
    return user


def login(
    session: Session, throttle: LoginThrottle, slots: HashSlots, username: str, password: str, address: str
) -> User:
    """Authenticate behind the brute-force throttle: a locked-out key gets 429 before any hash work.

    The try is claimed inside the hash slot, so a 503 for want of a slot never spends one.
    """
    key = lookup_key(username)
    attempt = throttle.begin(session, key, username, address)
    with slots.hold():
        attempt.claim()
        try:
            user = authenticate(session, key, password)
        except Unauthorized:
            attempt.failed()
            raise
    attempt.succeeded()
    return user


def authenticate(session: Session, key: str | None, password: str) -> User:
    """The user for these credentials; the same error, after the same hash work, for unknown and wrong."""
    user = session.scalar(select(User).where(User.username_key == key)) if key is not None else None
    ok, new_hash = verify_password(password, user.password_hash if user else None)
    if user is None or not ok:
        raise Unauthorized("wrong username or password", code="invalid_credentials")
    if new_hash:  # stored with older hash parameters: upgrade it now that we know the password
        user.password_hash = new_hash
        session.commit()
    return user


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, int(user_id)) if user_id.isdecimal() else None
    if user is None:
        raise NotFound("this account no longer exists", code="user_not_found")
    return user


def issue_token(keys: KeyRing, settings: UserSettings, user: User) -> tuple[str, int]:
    now = int(time.time())
    ttl = settings.token_ttl_seconds
    claims = {
        "sub": str(user.id),
        "name": user.username,
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    return keys.sign(claims), ttl
