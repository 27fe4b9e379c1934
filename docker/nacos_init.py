"""One-shot Nacos initialiser: wait until Nacos is ready, create its admin, prove the login.

Since Nacos 2.4 there is no default `nacos/nacos` user: the first admin is created once
through the API, and the call is refused ever after. This script is idempotent:

1. wait for readiness (the 2.x or the 3.x readiness endpoint);
2. create the admin `nacos` with the configured password (the 2.x endpoint, or the 3.x one
   when the server answers 410 Gone on the first); "an admin exists" is fine;
3. log in with the configured user and password: exit 0 only if Nacos hands out an access
   token, so the services will be able to register.

The API's paths and answers live in mesh/nacos_http.py (installed in every service image).
Settings (environment): OCR_MESH_NACOS_ADDR (host:port, default 127.0.0.1:8848),
OCR_MESH_NACOS_USERNAME (default nacos), OCR_MESH_NACOS_PASSWORD (required),
NACOS_INIT_TIMEOUT seconds to wait for readiness (default 180), NACOS_INIT_LOGIN_RETRY
seconds to retry the login (default 30). The password is never printed. Used by
docker-compose.yml (`nacos-init`) and deploy/k8s (`nacos-init` Job).
"""

from __future__ import annotations

import os
import sys
import time

import httpx

from mesh.nacos_http import (
    ADMIN_V2,
    ADMIN_V3,
    READINESS_V2,
    READINESS_V3,
    NacosApi,
    NacosHttpError,
    admin_state,
    read_login,
)


def log(msg: str) -> None:
    print(f"nacos-init: {msg}", flush=True)


def wait_ready(client: httpx.Client, api: NacosApi, deadline: float) -> None:
    last = ""
    while True:
        for path in (READINESS_V2, READINESS_V3):
            try:
                r = client.send(api.readiness(path))
            except httpx.HTTPError as exc:
                last = f"{path}: {type(exc).__name__}"
                continue
            if r.status_code == 200:
                log(f"Nacos is ready ({path})")
                return
            last = f"{path}: {r.status_code} {r.text[:120]}"
        if time.monotonic() > deadline:
            raise SystemExit(f"nacos-init: Nacos at {api.base} not ready in time; last answer {last}")
        time.sleep(2.0)


def create_admin(client: httpx.Client, api: NacosApi, password: str) -> str:
    """'created' or 'exists'; raises SystemExit when the server answers anything else."""
    for path in (ADMIN_V2, ADMIN_V3):
        try:
            state = admin_state(client.send(api.create_admin(password, path)))
        except NacosHttpError as exc:
            raise SystemExit(f"nacos-init: {exc}") from exc
        if state != "absent":
            return state
    raise SystemExit("nacos-init: this server has no admin initialisation endpoint")


def login(client: httpx.Client, api: NacosApi, username: str, password: str, deadline: float) -> None:
    while True:
        try:
            answer = read_login(client.send(api.login(username, password)))
            log(f"login as {username!r} works (token ttl {answer.ttl_seconds:.0f} s)")
            return
        except (NacosHttpError, httpx.HTTPError) as exc:
            problem = str(exc)
        if time.monotonic() > deadline:
            raise SystemExit(
                f"nacos-init: {problem} for {username!r}. If an admin was created earlier with "
                "another password, the Nacos data volume still holds it: use that password, or "
                "reset the volume (docker compose down -v)."
            )
        time.sleep(1.0)


def main() -> int:
    api = NacosApi.at(os.environ.get("OCR_MESH_NACOS_ADDR", "127.0.0.1:8848").split(",")[0])
    username = os.environ.get("OCR_MESH_NACOS_USERNAME", "nacos")
    password = os.environ.get("OCR_MESH_NACOS_PASSWORD", "")
    if not password:
        log("OCR_MESH_NACOS_PASSWORD is empty: set NACOS_ADMIN_PASSWORD in .env")
        return 2
    deadline = time.monotonic() + float(os.environ.get("NACOS_INIT_TIMEOUT", "180"))
    with httpx.Client(timeout=10.0, trust_env=False) as client:
        wait_ready(client, api, deadline)
        if username == "nacos":
            log(f"admin user: {create_admin(client, api, password)}")
        else:
            log(f"user {username!r} is not the built-in admin: not creating it, only checking the login")
        retry = float(os.environ.get("NACOS_INIT_LOGIN_RETRY", "30"))
        login(client, api, username, password, time.monotonic() + retry)
    return 0


if __name__ == "__main__":
    sys.exit(main())
