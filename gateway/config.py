"""Settings of the gateway."""

from __future__ import annotations

from pathlib import Path

from mesh.settings import MeshSettings
from mesh.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


class GatewaySettings(MeshSettings):
    port: int = 8080
    web_dir: Path = WEB_DIR
    ocr_service: str = "ocr-service"
    user_service: str = "user-service"
    token_issuer: str = DEFAULT_ISSUER
    token_audience: str = DEFAULT_AUDIENCE

    max_upload_bytes: int = 10 * 1024 * 1024 + 64 * 1024  # image limit plus multipart framing
    connect_timeout: float = 2.0
    auth_timeout: float = 15.0
    ocr_timeout: float = 60.0
    max_attempts: int = 3
    ocr_strategy: str = "least_in_flight"
    user_strategy: str = "round_robin"
    eject_after_failures: int = 2
    eject_seconds: float = 10.0
    max_connections: int = 200
