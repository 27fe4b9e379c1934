"""The OCR node's live settings, from Nacos Config (`ocr-service.yaml`): its queue and QR scanning.
Every other setting needs a restart (docs/operating.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ocr_service.config import OcrSettings


class OcrLive(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    queue_size: int = Field(ge=0, le=10_000)  # requests waiting for the engine; more get 503
    queue_deadline_seconds: float = Field(gt=0, le=3600)  # a request that waited longer is dropped
    qr_codes: bool  # scan every image for QR codes beside the text

    def over(self, s: OcrSettings) -> OcrSettings:
        """`s` with these values: what the node's service reads from the next request on."""
        return s.model_copy(update=self.model_dump())
