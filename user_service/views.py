"""HTTP routes of the user service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from starlette.concurrency import run_in_threadpool

from mesh.tokens import bearer_token
from user_service import service
from user_service.deps import (
    ClientAddressDep,
    HashSlotsDep,
    KeysDep,
    QuotaDep,
    SessionDep,
    SettingsDep,
    ThrottleDep,
    VerifierDep,
)
from user_service.schemas import Credentials, TokenOut, UserOut

router = APIRouter()


@router.post("/auth/register", status_code=201, response_model=UserOut)
def register(
    body: Credentials, session: SessionDep, quota: QuotaDep, slots: HashSlotsDep, address: ClientAddressDep
) -> Any:
    return service.register(session, quota, slots, body.username, body.password, address)


@router.post("/auth/login", response_model=TokenOut)
def login(
    body: Credentials,
    session: SessionDep,
    throttle: ThrottleDep,
    slots: HashSlotsDep,
    address: ClientAddressDep,
    keys: KeysDep,
    settings: SettingsDep,
) -> TokenOut:
    user = service.login(session, throttle, slots, body.username, body.password, address)
    token, ttl = service.issue_token(keys.ring, settings, user)
    return TokenOut(access_token=token, expires_in=ttl)


@router.get("/auth/me", response_model=UserOut)
async def me(
    session: SessionDep, verifier: VerifierDep, authorization: Annotated[str | None, Header()] = None
) -> Any:
    principal = await verifier.verify(bearer_token(authorization))
    return await run_in_threadpool(service.get_user, session, principal.user_id)


@router.get("/.well-known/jwks.json")
def jwks(keys: KeysDep) -> dict[str, Any]:
    return keys.ring.jwks()
