"""Instance lists over Nacos' HTTP open API, with a login reused until half its lifetime."""

from __future__ import annotations

import time

import httpx

from mesh.instances import ServiceInstance
from mesh.nacos_http import NacosApi, NacosHttpError, read_hosts, read_login
from mesh.nacos_sdk import RegistryUnavailable, nacos_servers
from mesh.settings import MeshSettings


class NacosHttpLister:
    """Asks the servers of OCR_MESH_NACOS_ADDR in turn; the caller owns `client`."""

    def __init__(self, settings: MeshSettings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._servers = nacos_servers(settings.nacos_addr)
        self._http = client
        self._token_cache: tuple[str, str, float] | None = None  # server, token, renew after

    async def instances(self, service: str) -> list[ServiceInstance]:
        """Every instance Nacos lists for `service` (healthy or not); RegistryUnavailable if no
        server answers."""
        failures = []
        for server in self._servers:
            try:
                return await self._list(NacosApi.at(server), service)
            except (httpx.HTTPError, NacosHttpError, KeyError, ValueError) as exc:
                failures.append(f"{server}: {type(exc).__name__}")
                self._token_cache = None
        raise RegistryUnavailable(f"no Nacos server answered over HTTP ({', '.join(failures)})")

    async def _list(self, api: NacosApi, service: str) -> list[ServiceInstance]:
        s = self._settings
        request = api.instance_list(service, await self._token(api), s.nacos_group, s.nacos_namespace)
        return [
            ServiceInstance(
                service=service,
                host=str(h["ip"]),
                port=int(h["port"]),
                weight=float(h.get("weight", 1.0)),
                healthy=bool(h.get("healthy", True)),
                enabled=bool(h.get("enabled", True)),
                metadata={str(k): str(v) for k, v in (h.get("metadata") or {}).items()},
            )
            for h in read_hosts(await self._http.send(request))
        ]

    async def _token(self, api: NacosApi) -> str:
        cached = self._token_cache
        if cached and cached[0] == api.base and cached[2] > time.monotonic():
            return cached[1]
        username, password = self._settings.nacos_credentials()
        if not password:
            return ""
        login = read_login(await self._http.send(api.login(username, password)))
        self._token_cache = (api.base, login.token, time.monotonic() + login.ttl_seconds / 2)
        return login.token
