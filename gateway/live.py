"""The gateway's live settings, from Nacos Config (`ocr-gateway.yaml`): rate limits, balancing,
ejection, and the maintenance switch. Every other setting needs a restart (docs/operating.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gateway.balancer import Strategy


class GatewayLive(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rate_per_user: float = Field(ge=0, le=100_000)  # requests a second; 0 turns it off
    burst_per_user: float = Field(ge=1, le=1_000_000)
    rate_per_client: float = Field(ge=0, le=100_000)
    burst_per_client: float = Field(ge=1, le=1_000_000)
    ocr_strategy: Strategy
    user_strategy: Strategy
    eject_after_failures: int = Field(ge=1, le=1000)
    eject_seconds: float = Field(ge=0, le=3600)
    canary_version: str = Field(default="", max_length=64)  # instances whose metadata `version` is this …
    canary_percent: float = Field(default=0, ge=0, le=100)  # … get this share of OCR requests
    maintenance: bool = False  # every /api route answers 503 `maintenance` while it is on
    maintenance_message: str = Field(
        default="OCR Mesh is down for maintenance; please try again shortly.", min_length=1, max_length=500
    )
    maintenance_retry_after: int = Field(default=60, ge=1, le=86_400)
