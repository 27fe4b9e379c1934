"""The token signing key: Ed25519, generated on first start into the data folder."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mesh.tokens import ALGORITHM


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey

    def jwk(self) -> dict[str, Any]:
        raw = _raw_public(self.private.public_key())
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64(raw),
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }


class KeyRing:
    """All keys in the folder: the newest signs, every one is published until removed."""

    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self.keys = keys

    @property
    def current(self) -> SigningKey:
        return self.keys[-1]

    @classmethod
    def load_or_create(cls, folder: Path) -> KeyRing:
        """Load the keys, creating the first under a file lock so instances agree."""
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            keys = _load(folder)
            if not keys:
                keys = [_create(folder)]
        return cls(keys)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk() for k in self.keys]}

    def sign(self, claims: dict[str, Any]) -> str:
        key = self.current
        return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})


def _load(folder: Path) -> list[SigningKey]:
    keys = []
    for path in sorted(folder.glob("ed25519-*.pem")):
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(private, Ed25519PrivateKey):
            meta = (
                json.loads(path.with_suffix(".json").read_text())
                if path.with_suffix(".json").exists()
                else {}
            )
            keys.append((meta.get("created", 0.0), SigningKey(_kid(private), private)))
    return [k for _, k in sorted(keys, key=lambda item: item[0])]


def _kid(private: Ed25519PrivateKey) -> str:
    return hashlib.sha256(_raw_public(private.public_key())).hexdigest()[:16]


def _create(folder: Path) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    kid = _kid(private)
    path = folder / f"ed25519-{kid}.pem"
    tmp = folder / f".{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.replace(tmp, path)
    path.with_suffix(".json").write_text(json.dumps({"created": time.time()}))
    return SigningKey(kid, private)
