"""What the user service holds for its lifetime, built once in the lifespan and injected."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from mesh.tokens import TokenVerifier
from user_service.addresses import Network
from user_service.config import UserSettings
from user_service.keys import KeyStore
from user_service.quotas import HashSlots, RegistrationQuota
from user_service.throttle import LoginThrottle


@dataclass(frozen=True)
class UserNode:
    """Settings, the session factory, the signing keys, the login throttle, the verifier of its
    own tokens, the proxies (the gateway) whose X-Forwarded-For is believed, the registration
    quota and the cap on concurrent password hashing."""

    settings: UserSettings
    sessions: sessionmaker[Session]
    keys: KeyStore
    throttle: LoginThrottle
    verifier: TokenVerifier
    trusted_proxies: list[Network]
    quota: RegistrationQuota
    hash_slots: HashSlots
