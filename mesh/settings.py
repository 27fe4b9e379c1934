"""The settings base every service extends: bind address, data folder, Nacos connection."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mesh.names import NACOS_GROUP

NACOS_CREDENTIALS_FILE = "nacos/credentials.json"


class MeshSettings(BaseSettings):
    """Common settings, read from `OCR_MESH_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="OCR_MESH_", extra="ignore")

    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = 0
    advertise_host: str | None = None
    version: str = "0.1.0"
    weight: float = 1.0  # Nacos weight of this instance (weighted strategies use it)
    log_level: str = "INFO"

    nacos_addr: str = "127.0.0.1:8848"
    nacos_username: str = "nacos"
    nacos_password: SecretStr | None = None
    nacos_namespace: str = "public"
    nacos_group: str = NACOS_GROUP
    nacos_enabled: bool = True
    registration_check_seconds: float = 2.0  # how often a service checks that Nacos still lists it

    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks): the
    # gateway for the services, a TLS-terminating proxy for the gateway. Nobody else's.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    tls_certfile: Path | None = None  # serve HTTPS with this certificate chain (PEM) ...
    tls_keyfile: Path | None = None  # ... and its private key (PEM)

    token_issuer: str = "ocr-mesh"
    token_audience: str = "ocr-mesh-api"

    upload_seconds: float = 60.0  # a request body must arrive within this (slow-loris guard; 408)
    drain_seconds: float = 30.0
    deregister_grace_seconds: float = 0.5

    @model_validator(mode="after")
    def _tls_pair(self) -> MeshSettings:
        if self.tls_keyfile is not None and self.tls_certfile is None:
            raise ValueError("OCR_MESH_TLS_KEYFILE is set without OCR_MESH_TLS_CERTFILE")
        for path in (self.tls_certfile, self.tls_keyfile):
            if path is not None and not path.is_file():
                raise ValueError(f"the TLS file {path} does not exist")
        return self

    @property
    def advertised_host(self) -> str:
        """The address other services use to reach this one."""
        if self.advertise_host:
            return self.advertise_host
        if self.host in ("0.0.0.0", "::", ""):
            import socket

            return socket.gethostbyname(socket.gethostname())
        return self.host

    def nacos_credentials(self) -> tuple[str, str]:
        """Username and password: from the environment, else from the local Nacos data folder."""
        if self.nacos_password is not None:
            return self.nacos_username, self.nacos_password.get_secret_value()
        path = self.data_dir / NACOS_CREDENTIALS_FILE
        if path.exists():
            data = json.loads(path.read_text())
            return str(data["username"]), str(data["password"])
        return self.nacos_username, ""
