"""Request dependencies: settings, keys, flood guards and the client's address, from the app's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from user_service.addresses import client_address
from user_service.config import UserSettings
from user_service.keys import KeyStore
from user_service.quotas import HashSlots, RegistrationQuota
from user_service.throttle import LoginThrottle


def get_settings(request: Request) -> UserSettings:
    settings: UserSettings = request.app.state.settings
    return settings


def get_keys(request: Request) -> KeyStore:
    keys: KeyStore = request.app.state.keys
    return keys


def get_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.throttle
    return throttle


def get_quota(request: Request) -> RegistrationQuota:
    quota: RegistrationQuota = request.app.state.quota
    return quota


def get_hash_slots(request: Request) -> HashSlots:
    slots: HashSlots = request.app.state.hash_slots
    return slots


def get_client_address(request: Request) -> str:
    """The peer, or the first X-Forwarded-For entry when the peer is a trusted proxy (the gateway)."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), request.app.state.trusted_proxies)


SettingsDep = Annotated[UserSettings, Depends(get_settings)]
KeysDep = Annotated[KeyStore, Depends(get_keys)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]
QuotaDep = Annotated[RegistrationQuota, Depends(get_quota)]
HashSlotsDep = Annotated[HashSlots, Depends(get_hash_slots)]
ClientAddressDep = Annotated[str, Depends(get_client_address)]
