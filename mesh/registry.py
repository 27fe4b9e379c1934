"""The Nacos connection: register this instance, and watch other services by push."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from v2.nacos import (
    ClientConfigBuilder,
    DeregisterInstanceParam,
    GRPCConfig,
    ListInstanceParam,
    NacosNamingService,
    RegisterInstanceParam,
    SubscribeServiceParam,
)

from mesh.settings import MeshSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceInstance:
    """One instance of a service as Nacos reports it."""

    service: str
    host: str
    port: int
    weight: float = 1.0
    healthy: bool = True
    enabled: bool = True
    metadata: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def usable(self) -> bool:
        """Healthy, enabled and with a positive weight."""
        return self.healthy and self.enabled and self.weight > 0


Listener = Callable[[str, list[ServiceInstance]], Awaitable[None] | None]


def _to_instance(service: str, raw: Any) -> ServiceInstance:
    return ServiceInstance(
        service=service,
        host=str(raw.ip),
        port=int(raw.port),
        weight=float(raw.weight),
        healthy=bool(raw.healthy),
        enabled=bool(raw.enabled),
        metadata={str(k): str(v) for k, v in (raw.metadata or {}).items()},
    )


class NacosRegistry:
    """A connected Nacos naming client for one process (built once at start-up)."""

    def __init__(self, naming: NacosNamingService, settings: MeshSettings) -> None:
        self._naming = naming
        self._group = settings.nacos_group
        self._settings = settings
        self._registered: list[RegisterInstanceParam] = []
        self._servers = nacos_servers(settings.nacos_addr)
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(2.0), trust_env=False)
        self._http_token: tuple[str, str, float] | None = None  # server, token, renew after

    @classmethod
    async def connect(cls, settings: MeshSettings, *, timeout: float = 10.0) -> NacosRegistry:
        """Log in and open the gRPC connection; raise RegistryUnavailable if Nacos is not there."""
        username, password = settings.nacos_credentials()
        builder = (
            ClientConfigBuilder()
            .server_address(settings.nacos_addr)
            .namespace_id("" if settings.nacos_namespace == "public" else settings.nacos_namespace)
            .log_level("WARNING")
            .log_dir(str(settings.data_dir / "logs" / "nacos-client"))
            .cache_dir(str(settings.data_dir / "cache" / "nacos-client"))
            .grpc_config(GRPCConfig(grpc_timeout=int(timeout * 1000)))
        )
        if password:
            builder = builder.username(username).password(password)
        # The SDK tries the servers of a cluster one after another, each with the gRPC timeout.
        overall = timeout * len(nacos_servers(settings.nacos_addr)) + 2.0
        try:
            naming = await asyncio.wait_for(
                NacosNamingService.create_naming_service(builder.build()), overall
            )
        except Exception as exc:  # the SDK raises bare Exceptions and NacosException
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise RegistryUnavailable(f"cannot connect to Nacos at {settings.nacos_addr}: {reason}") from exc
        await _redo_on_reconnect(naming)
        return cls(naming, settings)

    async def register(
        self, service: str, host: str, port: int, metadata: dict[str, str], weight: float = 1.0
    ) -> None:
        param = RegisterInstanceParam(
            service_name=service,
            group_name=self._group,
            ip=host,
            port=port,
            weight=weight,
            metadata=metadata,
            ephemeral=True,
        )
        ok = await self._naming.register_instance(param)
        if not ok:
            raise RegistryUnavailable(f"Nacos refused to register {service} at {host}:{port}")
        self._registered.append(param)
        log.info("registered %s at %s:%s in Nacos", service, host, port)

    async def deregister_all(self) -> None:
        """Remove every instance this process registered (first step of a graceful stop)."""
        while self._registered:
            param = self._registered.pop()
            try:
                await self._naming.deregister_instance(
                    DeregisterInstanceParam(
                        service_name=param.service_name,
                        group_name=self._group,
                        ip=param.ip,
                        port=param.port,
                        ephemeral=True,
                    )
                )
                log.info("deregistered %s at %s:%s", param.service_name, param.ip, param.port)
            except Exception:
                log.warning("could not deregister %s; Nacos will drop it", param.service_name)

    async def instances(self, service: str) -> list[ServiceInstance]:
        raw = await self._naming.list_instances(
            ListInstanceParam(service_name=service, group_name=self._group, healthy_only=None)
        )
        return [_to_instance(service, r) for r in raw or []]

    async def subscribe(self, service: str, listener: Listener) -> None:
        """Call listener(service, instances) on every change Nacos pushes."""

        async def on_change(raw_instances: list[Any]) -> None:
            result = listener(service, [_to_instance(service, r) for r in raw_instances or []])
            if asyncio.iscoroutine(result):
                await result

        await self._naming.subscribe(
            SubscribeServiceParam(service_name=service, group_name=self._group, subscribe_callback=on_change)
        )

    async def resubscribe(self, service: str) -> None:
        """Send the subscription for `service` again on the current connection, and take the list
        it answers with. After a Nacos restart the SDK can consider a subscription redone that
        the server no longer has (its reconnect loop may replace the connection it was sent
        on), and then no push ever comes; repeating it is idempotent on the server."""
        proxy = self._naming.grpc_client_proxy
        info = await proxy.do_subscribe(service, self._group, "")
        if info is not None:
            await proxy.service_info_cache.process_service(info)

    async def healthy(self) -> bool:
        """Whether the gRPC push connection to Nacos is up."""
        return bool(await self._naming.server_health())

    async def instances_over_http(self, service: str) -> list[ServiceInstance]:
        """The instance list from the HTTP open API (the fallback while the push stream is down);
        the servers of a cluster are asked in turn."""
        failures = []
        for server in self._servers:
            try:
                return await self._list_over_http(server, service)
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                failures.append(f"{server}: {type(exc).__name__}")
                self._http_token = None
        raise RegistryUnavailable(f"no Nacos server answered over HTTP ({', '.join(failures)})")

    async def _list_over_http(self, server: str, service: str) -> list[ServiceInstance]:
        params = {"serviceName": service, "groupName": self._group, "accessToken": await self._token(server)}
        if self._settings.nacos_namespace != "public":
            params["namespaceId"] = self._settings.nacos_namespace
        r = await self._http.get(f"http://{server}/nacos/v1/ns/instance/list", params=params)
        r.raise_for_status()
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
            for h in r.json().get("hosts", [])
        ]

    async def _token(self, server: str) -> str:
        """An HTTP access token from this server, reused until half its lifetime has passed."""
        if self._http_token and self._http_token[0] == server and self._http_token[2] > time.monotonic():
            return self._http_token[1]
        username, password = self._settings.nacos_credentials()
        if not password:
            return ""
        r = await self._http.post(
            f"http://{server}/nacos/v1/auth/login", data={"username": username, "password": password}
        )
        r.raise_for_status()
        body = r.json()
        renew = time.monotonic() + float(body.get("tokenTtl", 600)) / 2
        self._http_token = (server, str(body["accessToken"]), renew)
        return self._http_token[1]

    async def close(self) -> None:
        await self._http.aclose()
        try:
            await self._naming.shutdown()
        except Exception:
            log.debug("error while closing the Nacos client", exc_info=True)


class _RedoNow:
    """On every (re)connection, run the SDK's redo task (re-register, re-subscribe) at once.

    nacos-sdk-python 3.2 marks its registrations and subscriptions for redo when the gRPC
    stream drops, but only runs the redo on a 30 s timer: after a Nacos restart a service
    stayed unregistered, and a subscriber deaf to changes, for up to 30 s.
    """

    def __init__(self, redo_service: Any) -> None:
        self._redo = redo_service

    async def on_connected(self) -> None:
        await self._redo.start_redo_task()

    async def on_disconnect(self) -> None:
        return None


async def _redo_on_reconnect(naming: NacosNamingService) -> None:
    """Hook _RedoNow after the SDK's own redo listener (listeners run in order)."""
    try:
        proxy = naming.grpc_client_proxy
        await proxy.rpc_client.register_connection_listener(_RedoNow(proxy.redo_service))
    except AttributeError:  # another SDK version: its own 30 s redo timer still applies
        log.warning("this nacos-sdk-python has no redo hook; re-registration after a Nacos restart may lag")


class RegistryUnavailable(Exception):
    """Nacos cannot be reached or refused the call."""


def nacos_servers(addr: str) -> list[str]:
    """The `host:port` entries of OCR_MESH_NACOS_ADDR (one server, or a cluster's comma list)."""
    return [a.strip() for a in addr.split(",") if a.strip()]
