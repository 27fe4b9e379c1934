"""What the OCR node holds for its lifetime, built once in the lifespan and injected into views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from mesh.tokens import TokenVerifier
from ocr_service.service import OcrService


@dataclass(frozen=True)
class OcrNode:
    """The queue and engine, the token verifier (None: tokens are not checked), and the host
    other services reach this node by."""

    service: OcrService
    verifier: TokenVerifier | None
    advertised_host: str

    def instance(self, request: Request) -> str:
        """host:port of this node as other services reach it."""
        server = request.scope.get("server") or (self.service.settings.host, self.service.settings.port)
        return f"{self.advertised_host}:{server[1]}"


def get_node(request: Request) -> OcrNode:
    node: OcrNode = request.app.state.node
    return node


NodeDep = Annotated[OcrNode, Depends(get_node)]
