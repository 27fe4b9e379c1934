"""Nacos' HTTP open API: the one place that knows its paths, parameters and answers.

Requests are built here as `httpx.Request` objects and answers read here, so the async registry
(mesh/registry.py), the synchronous tools (mesh_tools/nacos_server, docker/nacos_init.py) and the
tests share one description of the API while each sends with the client it owns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from mesh.names import NACOS_GROUP

READINESS_V3 = "/nacos/v3/admin/core/state/readiness"
READINESS_V2 = "/nacos/v1/console/health/readiness"
ADMIN_V3 = "/nacos/v3/auth/user/admin"
ADMIN_V2 = "/nacos/v1/auth/users/admin"
LOGIN = "/nacos/v1/auth/login"
INSTANCE_LIST = "/nacos/v1/ns/instance/list"
CONFIG_HISTORY_V3 = "/nacos/v3/admin/cs/history/list"  # 3.x only (v1/v2 answer 410 Gone)
INSTANCE_V3 = "/nacos/v3/admin/ns/instance"  # 3.x only


class NacosHttpError(Exception):
    """Nacos answered over HTTP, but not with what was asked for."""


@dataclass(frozen=True)
class Login:
    """An access token and how long Nacos says it lives."""

    token: str
    ttl_seconds: float


@dataclass(frozen=True)
class NacosApi:
    """Request builders for one Nacos server (`base` like http://127.0.0.1:8848)."""

    base: str

    @classmethod
    def at(cls, address: str) -> NacosApi:
        """From "host:port" or a URL."""
        address = address.strip().rstrip("/")
        return cls(address if address.startswith("http") else f"http://{address}")

    def readiness(self, path: str = READINESS_V3) -> httpx.Request:
        return httpx.Request("GET", self.base + path)

    def login(self, username: str, password: str) -> httpx.Request:
        return httpx.Request("POST", self.base + LOGIN, data={"username": username, "password": password})

    def create_admin(self, password: str, path: str = ADMIN_V3) -> httpx.Request:
        """Java Nacos has no default user since 2.4: this creates `nacos` with this password."""
        return httpx.Request("POST", self.base + path, data={"password": password})

    def instance_list(
        self, service: str, token: str, group: str = NACOS_GROUP, namespace: str = "public"
    ) -> httpx.Request:
        params = {"serviceName": service, "groupName": group}
        if token:
            params["accessToken"] = token
        if namespace != "public":
            params["namespaceId"] = namespace
        return httpx.Request("GET", self.base + INSTANCE_LIST, params=params)

    def update_instance(
        self,
        service: str,
        ip: str,
        port: int,
        token: str,
        *,
        weight: float | None = None,
        enabled: bool | None = None,
        group: str = NACOS_GROUP,
    ) -> httpx.Request:
        """What the console's "edit instance" does: a registered instance's weight or enabled flag
        (Nacos keeps it as the instance's metadata, over what the client registered)."""
        params = {
            "serviceName": service,
            "groupName": group,
            "ip": ip,
            "port": str(port),
            "ephemeral": "true",
        }
        if weight is not None:
            params["weight"] = str(weight)
        if enabled is not None:
            params["enabled"] = str(enabled).lower()
        if token:
            params["accessToken"] = token
        return httpx.Request("PUT", self.base + INSTANCE_V3, params=params)

    def config_history(
        self, data_id: str, token: str, group: str = NACOS_GROUP, size: int = 20
    ) -> httpx.Request:
        """The latest changes of a Nacos Config entry, newest first."""
        params = {"dataId": data_id, "groupName": group, "pageNo": "1", "pageSize": str(size)}
        if token:
            params["accessToken"] = token
        return httpx.Request("GET", self.base + CONFIG_HISTORY_V3, params=params)


@dataclass(frozen=True)
class ConfigChange:
    """One change of a config entry: when (epoch ms), what (I insert, U update, D delete), from where."""

    modified_ms: int
    operation: str
    source: str


def read_config_history(response: httpx.Response) -> list[ConfigChange]:
    body = _json(response)
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise NacosHttpError(
            f"Nacos answered the config history {response.status_code}: {response.text[:200]}"
        )
    return [
        ConfigChange(
            int(item.get("modifyTime", 0)), str(item.get("opType", "")).strip(), str(item.get("srcIp", ""))
        )
        for item in body["data"].get("pageItems") or []
    ]


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def read_login(response: httpx.Response) -> Login:
    """The token of a login answer; NacosHttpError when the login was refused."""
    body = _json(response)
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("accessToken"):
        raise NacosHttpError(f"Nacos refused the login ({response.status_code})")
    return Login(str(body["accessToken"]), float(body.get("tokenTtl", 600)))


def read_hosts(response: httpx.Response) -> list[dict[str, Any]]:
    """The `hosts` of an instance-list answer (each with ip, port, weight, healthy, metadata…)."""
    response.raise_for_status()
    body = _json(response)
    if not isinstance(body, dict):
        raise NacosHttpError("Nacos answered the instance list with something other than JSON")
    hosts: list[dict[str, Any]] = body.get("hosts") or []
    return hosts


def admin_state(response: httpx.Response) -> str:
    """'created', 'exists', 'absent' (this server has no such endpoint) or raises NacosHttpError."""
    status, text = response.status_code, response.text
    if status in (404, 405, 410):  # not this major version (3.x answers 410 Gone on v1)
        return "absent"
    body = _json(response)
    code = body.get("code") if isinstance(body, dict) else None
    if status == 409 or code == 409 or "have admin user" in text or "already exist" in text:
        return "exists"
    if status == 200:
        return "created"
    raise NacosHttpError(f"creating the admin answered {status}: {text[:200]}")
