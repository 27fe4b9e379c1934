"""The JSON answer of POST /ocr (the gateway's POST /api/ocr)."""

from __future__ import annotations

from pydantic import BaseModel

from ocr_service.layout import Box
from ocr_service.service import OcrResult

BoxOut = list[list[float]]


class WordOut(BaseModel):
    text: str
    box: BoxOut


def _rounded(box: Box) -> BoxOut:
    return [[round(x, 1), round(y, 1)] for x, y in box]


class LineOut(BaseModel):
    text: str
    score: float
    box: BoxOut
    words: list[WordOut] | None = None  # only when the request asks `words=true`


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
    lines: list[LineOut] | None = None  # left out when the request asks `detail=text`
    qr_codes: list[QrCodeOut] | None = None
    image: ImageSize
    timings_ms: Timings
    engine: str
    instance: str

    @classmethod
    def build(
        cls,
        result: OcrResult,
        *,
        request_id: str,
        engine: str,
        instance: str,
        words: bool = False,
        text_only: bool = False,
    ) -> OcrResponse:
        """The answer; `text_only` keeps the text and drops lines, boxes and QR codes."""
        if text_only:
            return cls(
                request_id=request_id,
                text=result.text,
                image=ImageSize(width=result.width, height=result.height),
                timings_ms=Timings(**result.timings_ms),
                engine=engine,
                instance=instance,
            )
        return cls(
            request_id=request_id,
            text=result.text,
            lines=[
                LineOut(
                    text=ln.text,
                    score=round(ln.score, 4),
                    box=[list(p) for p in ln.box],
                    words=[WordOut(text=w.text, box=_rounded(w.box)) for w in ln.words] if words else None,
                )
                for ln in result.lines
            ],
            qr_codes=[QrCodeOut(data=q.data, box=[list(p) for p in q.box]) for q in result.qr_codes],
            image=ImageSize(width=result.width, height=result.height),
            timings_ms=Timings(**result.timings_ms),
            engine=engine,
            instance=instance,
        )
