"""Request dependencies, all from the one UserNode the lifespan built."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from mesh.tokens import TokenVerifier
from user_service.addresses import client_address
from user_service.config import UserSettings
from user_service.keys import KeyStore
from user_service.quotas import HashSlots, RegistrationQuota
from user_service.state import UserNode
from user_service.throttle import LoginThrottle


def get_node(request: Request) -> UserNode:
    node: UserNode = request.app.state.node
    return node


NodeDep = Annotated[UserNode, Depends(get_node)]


def get_session(node: NodeDep) -> Iterator[Session]:
    with node.sessions() as session:
        yield session


def get_settings(node: NodeDep) -> UserSettings:
    return node.settings


def get_keys(node: NodeDep) -> KeyStore:
    return node.keys


def get_throttle(node: NodeDep) -> LoginThrottle:
    return node.throttle


def get_verifier(node: NodeDep) -> TokenVerifier:
    return node.verifier


def get_quota(node: NodeDep) -> RegistrationQuota:
    return node.quota


def get_hash_slots(node: NodeDep) -> HashSlots:
    return node.hash_slots


def get_client_address(request: Request, node: NodeDep) -> str:
    """The peer, or the first X-Forwarded-For entry when the peer is a trusted proxy (the gateway)."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), node.trusted_proxies)


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[UserSettings, Depends(get_settings)]
KeysDep = Annotated[KeyStore, Depends(get_keys)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]
VerifierDep = Annotated[TokenVerifier, Depends(get_verifier)]
QuotaDep = Annotated[RegistrationQuota, Depends(get_quota)]
HashSlotsDep = Annotated[HashSlots, Depends(get_hash_slots)]
ClientAddressDep = Annotated[str, Depends(get_client_address)]
