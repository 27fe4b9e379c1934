"""Settings of monitoring (mixed into GatewaySettings, so `OCR_MESH_*` environment variables)."""

from __future__ import annotations

from pydantic import BaseModel


class MonitoringSettings(BaseModel):
    prometheus_url: str = ""  # e.g. http://127.0.0.1:9090; empty: the page says monitoring is off
    prometheus_timeout: float = 5.0
