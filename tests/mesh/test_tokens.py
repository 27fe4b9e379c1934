"""The verifier refuses every malformed, forged, expired or misaddressed token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mesh.errors import Unauthorized
from mesh.tokens import TokenVerifier
from user_service.keys import KeyRing


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"sub": "1", "name": "a", "iss": "ocr-mesh", "aud": "ocr-mesh-api", "iat": now, "exp": now + 60}
    return base | over


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing.load_or_create(tmp_path)


@pytest.fixture
def verifier(ring: KeyRing) -> TokenVerifier:
    async def fetch() -> dict[str, Any]:
        return ring.jwks()

    return TokenVerifier(fetch, min_refresh_interval=0)


async def test_valid_token_passes(ring: KeyRing, verifier: TokenVerifier) -> None:
    principal = await verifier.verify(ring.sign(_claims()))
    assert principal.user_id == "1"


def _b64(obj: dict[str, Any] | bytes) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hs256_with_public_key(ring: KeyRing) -> str:
    """The classic confusion attack: HMAC keyed with the published public key."""
    head = _b64({"alg": "HS256", "typ": "JWT", "kid": ring.current.kid}) + "." + _b64(_claims())
    secret = json.dumps(ring.jwks()["keys"][0]).encode()
    return head + "." + _b64(hmac.new(secret, head.encode(), hashlib.sha256).digest())


@pytest.mark.parametrize(
    "make",
    [
        lambda r: r.sign(_claims(exp=int(time.time()) - 120)),
        lambda r: r.sign(_claims(aud="someone-else")),
        lambda r: r.sign(_claims(iss="evil")),
        lambda r: r.sign(_claims(nbf=int(time.time()) + 3600)),
        lambda r: _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims()) + ".",
        lambda r: _hs256_with_public_key(r),
        lambda r: jwt.encode(
            _claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": r.current.kid}
        ),
        lambda r: jwt.encode(
            _claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "unknown"}
        ),
        lambda r: r.sign(_claims())[:-10],
        lambda r: "not.a.token",
    ],
    ids=[
        "expired",
        "audience",
        "issuer",
        "not-yet-valid",
        "alg-none",
        "hs256-with-public-key",
        "wrong-key",
        "unknown-kid",
        "truncated",
        "garbage",
    ],
)
async def test_bad_tokens_are_refused(ring: KeyRing, verifier: TokenVerifier, make: Any) -> None:
    with pytest.raises(Unauthorized):
        await verifier.verify(make(ring))


async def test_a_verified_token_stops_passing_at_its_expiry(ring: KeyRing) -> None:
    async def fetch() -> dict[str, Any]:
        return ring.jwks()

    verifier = TokenVerifier(fetch, min_refresh_interval=0, leeway=0)
    token = ring.sign(_claims(exp=int(time.time()) + 2))
    assert (await verifier.verify(token)).user_id == "1"
    assert (await verifier.verify(token)).user_id == "1"  # now answered from the cache
    time.sleep(max(0.0, int(time.time()) + 2 - time.time()) + 1.1)
    with pytest.raises(Unauthorized) as refused:
        await verifier.verify(token)
    assert refused.value.code == "token_expired"


async def test_a_withdrawn_key_refuses_tokens_it_had_passed(ring: KeyRing, tmp_path: Path) -> None:
    published = [ring.jwks()]

    async def fetch() -> dict[str, Any]:
        return published[0]

    verifier = TokenVerifier(fetch, min_refresh_interval=0)
    token = ring.sign(_claims())
    assert (await verifier.verify(token)).user_id == "1"
    other = KeyRing.load_or_create(tmp_path / "other")
    published[0] = other.jwks()  # the old key is withdrawn from the JWKS
    assert (await verifier.verify(other.sign(_claims()))).user_id == "1"  # unknown kid: refetch
    with pytest.raises(Unauthorized):
        await verifier.verify(token)
