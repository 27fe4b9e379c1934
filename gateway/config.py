"""Settings of the gateway."""

from __future__ import annotations

from pathlib import Path

from gateway.documents.settings import DocumentSettings
from gateway.jobs.settings import JobSettings
from gateway.monitoring.settings import MonitoringSettings
from mesh.names import OCR_SERVICE, USER_SERVICE
from mesh.settings import MeshSettings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


class GatewaySettings(MeshSettings, DocumentSettings, JobSettings, MonitoringSettings):
    port: int = 8080
    web_dir: Path = WEB_DIR
    ocr_service: str = OCR_SERVICE
    user_service: str = USER_SERVICE

    max_upload_bytes: int = 10 * 1024 * 1024 + 64 * 1024  # image limit plus multipart framing
    max_attempts: int = 3
    # A TCP connect inside one host or LAN takes well under a millisecond; a peer whose address has
    # vanished (a killed container, a cut link) answers nothing, so this bounds how long that costs.
    connect_timeout: float = 0.25  # as in Envoy's examples

    ocr_strategy: str = "least_in_flight"
    ocr_timeout: float = 60.0
    ocr_attempt_timeout: float = 25.0
    ocr_max_in_flight: int = 4  # per instance; the node queues the rest itself
    ocr_slot_wait: float = 30.0

    user_strategy: str = "round_robin"
    auth_timeout: float = 15.0
    auth_attempt_timeout: float = 6.0
    user_max_in_flight: int = 32
    user_slot_wait: float = 5.0

    reconcile_seconds: float = 2.0  # how often the instance lists are compared with Nacos' own

    eject_after_failures: int = 2
    eject_seconds: float = 10.0
    max_waiters: int = 1024
    max_connections: int = 256

    rate_per_user: float = 20.0  # requests a second, token bucket; 0 turns it off
    burst_per_user: float = 100.0
    rate_per_client: float = 10.0  # open routes (register, login) per client address
    burst_per_client: float = 30.0
