"""Token signing keys: Ed25519, generated into the data folder, rotated, published as a JWKS.

The newest key signs. A replaced key stays in the folder, and so in the JWKS, until every token
it signed has expired (`retain` seconds after its successor was made); then it is pruned.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import itertools
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
    created: float  # epoch seconds

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
    """The keys of one folder, oldest first: the newest signs, every one is published."""

    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self.keys = keys

    @property
    def current(self) -> SigningKey:
        return self.keys[-1]

    @classmethod
    def load(cls, folder: Path) -> KeyRing:
        with _locked(folder, fcntl.LOCK_SH):
            return cls(_load(folder))

    @classmethod
    def load_or_create(
        cls,
        folder: Path,
        *,
        rotate_after: float | None = None,
        retain: float | None = None,
        now: float | None = None,
    ) -> KeyRing:
        """Start-up: create the first key, replace one older than `rotate_after`, prune expired ones.

        Runs under a file lock, so instances starting together agree on one new key.
        """
        now = time.time() if now is None else now
        with _locked(folder, fcntl.LOCK_EX):
            keys = _load(folder)
            if not keys or (rotate_after is not None and now - keys[-1].created >= rotate_after):
                keys.append(_create(folder, now))
            return cls(_prune(folder, keys, retain, now) if retain is not None else keys)

    @classmethod
    def rotate(cls, folder: Path, *, retain: float, now: float | None = None) -> KeyRing:
        """Make a new signing key now; tokens of the previous ones stay valid until they expire."""
        now = time.time() if now is None else now
        with _locked(folder, fcntl.LOCK_EX):
            keys = [*_load(folder), _create(folder, now)]
            return cls(_prune(folder, keys, retain, now))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk() for k in self.keys]}

    def sign(self, claims: dict[str, Any]) -> str:
        key = self.current
        return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})


class KeyStore:
    """The ring of a folder, reloaded when its key files change (a rotation by another process)."""

    def __init__(self, folder: Path, ring: KeyRing) -> None:
        self.folder = folder
        self._ring = ring
        self._seen = _listing(folder)

    @property
    def ring(self) -> KeyRing:
        listing = _listing(self.folder)
        if listing != self._seen:
            self._ring = KeyRing.load(self.folder)
            self._seen = listing
        return self._ring


@contextmanager
def _locked(folder: Path, mode: int) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, mode)
        yield


def _listing(folder: Path) -> frozenset[str]:
    return frozenset(name for name in os.listdir(folder) if name.endswith(".pem"))


def _load(folder: Path) -> list[SigningKey]:
    keys = []
    for path in folder.glob("ed25519-*.pem"):
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(private, Ed25519PrivateKey):
            meta_path = path.with_suffix(".json")
            meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
            keys.append(SigningKey(_kid(private), private, float(meta.get("created", 0.0))))
    return sorted(keys, key=lambda k: (k.created, k.kid))


def _prune(folder: Path, keys: list[SigningKey], retain: float, now: float) -> list[SigningKey]:
    """Delete each key whose successor has signed alone for longer than `retain` seconds."""
    kept = []
    for key, successor in itertools.pairwise(keys):
        if now - successor.created > retain:
            (folder / f"ed25519-{key.kid}.pem").unlink(missing_ok=True)
            (folder / f"ed25519-{key.kid}.json").unlink(missing_ok=True)
        else:
            kept.append(key)
    return [*kept, keys[-1]]


def _kid(private: Ed25519PrivateKey) -> str:
    return hashlib.sha256(_raw_public(private.public_key())).hexdigest()[:16]


def _create(folder: Path, now: float) -> SigningKey:
    """Write a new key: its metadata first, then the key file itself by an atomic rename."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    kid = _kid(private)
    path = folder / f"ed25519-{kid}.pem"
    path.with_suffix(".json").write_text(json.dumps({"created": now}))
    tmp = folder / f".{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.replace(tmp, path)
    return SigningKey(kid, private, now)
