"""One-shot Nacos initialiser: wait until Nacos is ready, create its admin, prove the login.

Since Nacos 2.4 there is no default `nacos/nacos` user: the first admin is created once
through the API, and the call is refused ever after. This script is idempotent:

1. wait for readiness: `GET /nacos/v1/console/health/readiness` (2.x) or
   `GET /nacos/v3/admin/core/state/readiness` (3.x);
2. `POST /nacos/v1/auth/users/admin` with form field `password` (2.4+; the user name is
   always `nacos`), or `POST /nacos/v3/auth/user/admin` when the server is 3.x (which
   answers 410 Gone on the v1 endpoint); an answer
   of code 409 means an admin already exists, which is fine;
3. `POST /nacos/v1/auth/login` with the configured user and password: exit 0 only if
   Nacos hands out an access token, so the services will be able to register.

Settings (environment): OCR_MESH_NACOS_ADDR (host:port, default 127.0.0.1:8848),
OCR_MESH_NACOS_USERNAME (default nacos), OCR_MESH_NACOS_PASSWORD (required),
NACOS_INIT_TIMEOUT seconds to wait for readiness (default 180), NACOS_INIT_LOGIN_RETRY
seconds to retry the login (default 30). Standard library only; the password is never
printed. Used by docker-compose.yml (`nacos-init`) and deploy/k8s (`nacos-init` Job).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

READINESS = ("/nacos/v1/console/health/readiness", "/nacos/v3/admin/core/state/readiness")
ADMIN_V2 = "/nacos/v1/auth/users/admin"
ADMIN_V3 = "/nacos/v3/auth/user/admin"
LOGIN = "/nacos/v1/auth/login"

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def log(msg: str) -> None:
    print(f"nacos-init: {msg}", flush=True)


def request(url: str, form: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, str]:
    """(status, body) for a GET, or a form POST when form is given; (0, error) if unreachable."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if form is not None else "GET")
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:
        return 0, str(exc)


def _json(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def wait_ready(base: str, deadline: float) -> None:
    last = ""
    while True:
        for path in READINESS:
            status, body = request(base + path, timeout=3.0)
            if status == 200:
                log(f"Nacos is ready ({path})")
                return
            last = f"{path}: {status} {body[:120]}"
        if time.monotonic() > deadline:
            raise SystemExit(f"nacos-init: Nacos at {base} not ready in time; last answer {last}")
        time.sleep(2.0)


def is_conflict(status: int, body: str) -> bool:
    data = _json(body)
    code = data.get("code") if isinstance(data, dict) else None
    return status == 409 or code == 409 or "have admin user" in body or "already exist" in body


def create_admin(base: str, password: str) -> str:
    """'created' or 'exists'; raises SystemExit when the server answers anything else."""
    for path in (ADMIN_V2, ADMIN_V3):
        status, body = request(base + path, {"password": password})
        if status in (404, 405, 410):
            continue  # not this major version (3.x answers 410 Gone on v1): try the next
        if is_conflict(status, body):
            return "exists"
        data = _json(body)
        if status == 200 and isinstance(data, dict):
            inner = data.get("data")
            created = inner if isinstance(inner, dict) else data
            if created.get("username"):
                return "created"
        raise SystemExit(f"nacos-init: {path} answered {status}: {body[:200]}")
    raise SystemExit("nacos-init: this server has no admin initialisation endpoint")


def login(base: str, username: str, password: str, deadline: float) -> None:
    while True:
        status, body = request(base + LOGIN, {"username": username, "password": password})
        data = _json(body)
        if status == 200 and isinstance(data, dict) and data.get("accessToken"):
            log(f"login as {username!r} works (token ttl {data.get('tokenTtl')} s)")
            return
        if time.monotonic() > deadline:
            raise SystemExit(
                f"nacos-init: Nacos refused the login of {username!r} ({status}). If an admin "
                "was created earlier with another password, the Nacos data volume still holds it: "
                "use that password, or reset the volume (docker compose down -v)."
            )
        time.sleep(1.0)


def main() -> int:
    addr = os.environ.get("OCR_MESH_NACOS_ADDR", "127.0.0.1:8848").split(",")[0].strip()
    base = addr if addr.startswith("http") else f"http://{addr}"
    username = os.environ.get("OCR_MESH_NACOS_USERNAME", "nacos")
    password = os.environ.get("OCR_MESH_NACOS_PASSWORD", "")
    if not password:
        log("OCR_MESH_NACOS_PASSWORD is empty: set NACOS_ADMIN_PASSWORD in .env")
        return 2
    deadline = time.monotonic() + float(os.environ.get("NACOS_INIT_TIMEOUT", "180"))
    wait_ready(base, deadline)
    if username == "nacos":
        log(f"admin user: {create_admin(base, password)}")
    else:
        log(f"user {username!r} is not the built-in admin: not creating it, only checking the login")
    retry = float(os.environ.get("NACOS_INIT_LOGIN_RETRY", "30"))
    login(base, username, password, time.monotonic() + retry)
    return 0


if __name__ == "__main__":
    sys.exit(main())
