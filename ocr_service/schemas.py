"""The JSON answer of POST /ocr (the gateway's POST /api/ocr)."""

from __future__ import annotations

from pydantic import BaseModel

from ocr_service.service import OcrResult

BoxOut = list[list[float]]


class LineOut(BaseModel):
    text: str
    score: float
    box: BoxOut


class QrCodeOut(BaseModel):
    data: str
    box: BoxOut


class ImageSize(BaseModel):
    width: int
    height: int


class Timings(BaseModel):
    queue: float
    decode: float
    ocr: float
    total: float


class OcrResponse(BaseModel):
    request_id: str
    text: str
    lines: list[LineOut]
    qr_codes: list[QrCodeOut]
    image: ImageSize
    timings_ms: Timings
    engine: str
    instance: str

    @classmethod
    def build(cls, result: OcrResult, *, request_id: str, engine: str, instance: str) -> OcrResponse:
        return cls(
            request_id=request_id,
            text=result.text,
            lines=[
                LineOut(text=ln.text, score=round(ln.score, 4), box=[list(p) for p in ln.box])
                for ln in result.lines
            ],
            qr_codes=[QrCodeOut(data=q.data, box=[list(p) for p in q.box]) for q in result.qr_codes],
            image=ImageSize(width=result.width, height=result.height),
            timings_ms=Timings(**result.timings_ms),
            engine=engine,
            instance=instance,
        )
