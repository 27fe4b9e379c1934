"""Locust version of the closed-loop OCR load: each user logs in on start, then posts the image.

    OCR_MESH_LOADTEST_IMAGE=card.png OCR_MESH_LOADTEST_ACCOUNTS='[["loadtest_0", "secret"]]' \\
      locust -f loadtest/locustfile.py --host http://127.0.0.1:8080 --headless -u 4 -r 4 -t 30s

The accounts must exist (`ocr-mesh loadtest` registers loadtest_0…); without
OCR_MESH_LOADTEST_ACCOUNTS one account is registered here. No wait between requests, like
`ocr-mesh loadtest --mode closed`.
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import os
from pathlib import Path

from locust import HttpUser, constant, task

_IMAGE = Path(os.environ.get("OCR_MESH_LOADTEST_IMAGE", ""))
_ACCOUNTS: list[list[str]] = json.loads(os.environ.get("OCR_MESH_LOADTEST_ACCOUNTS", "[]"))
_NEXT = itertools.count()


def _image() -> tuple[str, bytes, str]:
    if _IMAGE.is_file():
        return _IMAGE.name, _IMAGE.read_bytes(), mimetypes.guess_type(_IMAGE.name)[0] or "image/png"
    from loadtest.image import render_card

    return "card.png", render_card(), "image/png"


IMAGE = _image()


class OcrUser(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        n = next(_NEXT)
        if _ACCOUNTS:
            username, password = _ACCOUNTS[n % len(_ACCOUNTS)]
        else:
            username, password = "locust_user", "locust-secret-long-enough"
            self.client.post("/api/auth/register", json={"username": username, "password": password})
        r = self.client.post("/api/auth/login", json={"username": username, "password": password})
        r.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    @task
    def ocr(self) -> None:
        # no-store: the gateway's result cache would otherwise answer the repeated image itself.
        self.client.post("/api/ocr", files={"image": IMAGE}, headers={"Cache-Control": "no-store"})
