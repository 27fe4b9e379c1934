"""The names the mesh is known by in Nacos (design.md): its three services and their group."""

from __future__ import annotations

USER_SERVICE = "user-service"
OCR_SERVICE = "ocr-service"
GATEWAY = "ocr-gateway"
NACOS_GROUP = "ocr_back"

SERVICES = (USER_SERVICE, OCR_SERVICE, GATEWAY)
