"""Access-token verification against the user service's JWKS, with a pinned algorithm."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import jwt
from jwt.algorithms import OKPAlgorithm

from mesh.errors import Unauthorized
from mesh.names import USER_SERVICE

if TYPE_CHECKING:  # the directory pulls in the Nacos SDK: a type here, never an import at run time
    from mesh.discovery import ServiceDirectory

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
DEFAULT_ISSUER = "ocr-mesh"
DEFAULT_AUDIENCE = "ocr-mesh-api"

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for."""

    user_id: str
    username: str
    claims: dict[str, Any]


class TokenVerifier:
    """Verify EdDSA access tokens with keys from a JWKS, refetched on an unknown `kid`."""

    def __init__(
        self,
        fetch_jwks: JwksFetcher,
        *,
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
        leeway: float = 5.0,
        min_refresh_interval: float = 5.0,
        cache_size: int = 4096,
    ) -> None:
        self._fetch = fetch_jwks
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._min_refresh = min_refresh_interval
        self._keys: dict[str, Any] = {}
        self._last_refresh = -1e9
        self._lock = asyncio.Lock()
        # Tokens already verified, until their `exp`: a repeat caller skips the signature check.
        # Keyed by the whole token, signature included, so only the exact bytes that passed hit.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size

    def load_jwks(self, jwks: dict[str, Any]) -> None:
        keys: dict[str, Any] = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "kid" not in jwk:
                continue
            keys[str(jwk["kid"])] = OKPAlgorithm.from_jwk(json.dumps(jwk))
        if keys.keys() != self._keys.keys():
            self._verified.clear()  # a key was withdrawn or added: check every token afresh
        self._keys = keys

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._last_refresh < self._min_refresh:
                return
            self._last_refresh = time.monotonic()
            try:
                self.load_jwks(await self._fetch())
            except Exception as exc:
                log.warning("could not refresh the JWKS: %s", exc)

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires = cached
            if time.time() < expires:
                return principal
            del self._verified[token]
        principal = await self._verify_signed(token)
        if self._cache_size > 0:
            self._verified[token] = (principal, float(principal.claims["exp"]))
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return principal

    async def _verify_signed(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("the access token is malformed", code="invalid_token") from exc
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("the access token uses an unexpected algorithm", code="invalid_token")
        kid = str(header.get("kid", ""))
        if kid not in self._keys:
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("the access token was signed by an unknown key", code="invalid_token")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired; log in again", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("the access token is not valid", code="invalid_token") from exc
        return Principal(str(claims["sub"]), str(claims.get("name", "")), claims)


def jwks_from_directory(
    directory: ServiceDirectory, client: httpx.AsyncClient, service: str = USER_SERVICE
) -> JwksFetcher:
    """A JWKS fetcher that asks the usable instances of `service`, one after another."""

    async def fetch() -> dict[str, Any]:
        errors = []
        for instance in [i for i in directory.instances(service) if i.usable]:
            try:
                r = await client.get(f"http://{instance.address}/.well-known/jwks.json", timeout=5.0)
                r.raise_for_status()
                data: dict[str, Any] = r.json()
                return data
            except (httpx.HTTPError, ValueError) as exc:
                errors.append(f"{instance.address}: {exc}")
        raise RuntimeError(f"no {service} instance gave its JWKS ({'; '.join(errors) or 'none known'})")

    return fetch


def bearer_token(authorization: str | None) -> str:
    """The token from an `Authorization: Bearer …` header, or a 401."""
    if not authorization:
        raise Unauthorized("sign in first: this needs an access token", code="missing_token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'", code="invalid_token")
    return token.strip()
