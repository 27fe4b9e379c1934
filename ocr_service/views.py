"""HTTP routes of the OCR node."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request

from mesh.observability import request_id_of
from mesh.tokens import bearer_token
from ocr_service.schemas import OcrResponse
from ocr_service.state import NodeDep
from ocr_service.upload import read_form_file

router = APIRouter(tags=["ocr"])

_UPLOAD_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {"image": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


async def check_token(node: NodeDep, authorization: Annotated[str | None, Header()] = None) -> None:
    """Defence in depth: the gateway checked the token already; check it again here."""
    if node.verifier is not None:
        await node.verifier.verify(bearer_token(authorization))


@router.post(
    "/ocr",
    response_model=OcrResponse,
    response_model_exclude_none=True,  # `words` only when asked for, no `lines` for detail=text
    openapi_extra=_UPLOAD_SCHEMA,
    dependencies=[Depends(check_token)],
)
async def ocr(
    request: Request,
    node: NodeDep,
    words: Annotated[bool, Query(description="add each line's words with their boxes")] = False,
    detail: Annotated[
        Literal["full", "text"], Query(description="`text`: the text only, no lines, boxes or QR codes")
    ] = "full",
) -> OcrResponse:
    """Recognise the text (and QR codes) in the uploaded image, field `image`."""
    service = node.service
    with service.admit() as started:
        data = await read_form_file(
            request, "image", service.settings.max_upload_bytes, service.settings.upload_seconds
        )
        result = await service.recognize(data, started)
    return OcrResponse.build(
        result,
        request_id=request_id_of(request),
        engine=service.engine.name,
        instance=node.instance(request),
        words=words,
        text_only=detail == "text",
    )
