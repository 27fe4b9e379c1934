"""The Nacos connection: register this instance, and watch other services by push."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from v2.nacos import (
    DeregisterInstanceParam,
    ListInstanceParam,
    NacosNamingService,
    RegisterInstanceParam,
    SubscribeServiceParam,
)

from mesh.instances import ServiceInstance
from mesh.nacos_lister import NacosHttpLister
from mesh.nacos_sdk import WEDGED_AFTER, RegistryUnavailable, open_naming, shut_down
from mesh.names import GATEWAY
from mesh.settings import MeshSettings

log = logging.getLogger(__name__)


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
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(2.0), trust_env=False)
        self._lister = NacosHttpLister(settings, self._http)
        self._subscriptions: list[SubscribeServiceParam] = []
        self._watchdog: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    @classmethod
    async def connect(cls, settings: MeshSettings, *, timeout: float = 10.0) -> NacosRegistry:
        """Log in and open the gRPC connection; raise RegistryUnavailable if Nacos is not there."""
        registry = cls(await open_naming(settings, timeout), settings)
        registry._watchdog = asyncio.create_task(registry._replace_when_wedged())
        return registry

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

    async def query(self, service: str) -> list[ServiceInstance]:
        """The server's current list for `service`, asked now (not the SDK's push-fed cache)."""
        info = await self._naming.grpc_client_proxy.query_instance_of_service(service, self._group, "", False)
        return [_to_instance(service, r) for r in (info.hosts if info is not None else None) or []]

    async def missing_registrations(self) -> list[RegisterInstanceParam]:
        """This process's registrations that Nacos does not list right now."""
        listed: dict[str, set[tuple[str, int]]] = {}
        missing = []
        for param in list(self._registered):
            if param.service_name not in listed:
                listed[param.service_name] = {(i.host, i.port) for i in await self.query(param.service_name)}
            if (param.ip, param.port) not in listed[param.service_name]:
                missing.append(param)
        return missing

    async def reregister(self, param: RegisterInstanceParam) -> None:
        """Send one of this process's registrations again (idempotent on the server)."""
        if param not in self._registered:
            return  # deregistered meanwhile: a stopping service stays out
        if not await self._naming.register_instance(param):
            raise RegistryUnavailable(f"Nacos refused to register {param.service_name} again")
        log.info("registered %s at %s:%s in Nacos again", param.service_name, param.ip, param.port)

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

        param = SubscribeServiceParam(
            service_name=service, group_name=self._group, subscribe_callback=on_change
        )
        await self._naming.subscribe(param)
        self._subscriptions.append(param)

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
        try:
            return bool(await self._naming.server_health())
        except Exception:  # a client being shut down
            return False

    async def instances_over_http(self, service: str) -> list[ServiceInstance]:
        """The instance list from the HTTP open API (the fallback while the push stream is down)."""
        return await self._lister.instances(service)

    async def _replace_when_wedged(self, every: float = 2.0, wedged_after: float = WEDGED_AFTER) -> None:
        """Replace the SDK's client when it cannot query Nacos while Nacos answers over HTTP.

        nacos-sdk-python 3.2 can stay stuck after a Nacos restart: a reconnect loop that hangs
        inside connect_to_server, or a connection the server has unregistered that the SDK's
        health check still counts as fine. The client then has no registration and no pushes
        while Nacos itself is up. Seen in the fault tests after the second or third restart;
        a fresh client is the only way out. The probe is a real query, not the SDK's status.
        """
        failing_since: float | None = None
        while True:
            await asyncio.sleep(every)
            if await self._queries_work():
                failing_since = None
                continue
            now = time.monotonic()
            failing_since = failing_since or now
            if now - failing_since < wedged_after:
                continue
            if await self._answers_http():
                await self._renew()
                failing_since = None
            else:
                log.info("Nacos unreachable for %.0f s (gRPC and HTTP)", now - failing_since)

    async def _queries_work(self) -> bool:
        try:
            await asyncio.wait_for(self.query(self._probe_service()), 5.0)
        except Exception:
            return False
        return True

    def _probe_service(self) -> str:
        names = [p.service_name for p in self._registered] + [p.service_name for p in self._subscriptions]
        return names[0] if names else GATEWAY

    async def _answers_http(self) -> bool:
        try:
            await self.instances_over_http(self._probe_service())
        except RegistryUnavailable:
            return False
        return True

    async def _renew(self) -> None:
        """A new SDK client: register and subscribe again everything the old one held."""
        log.warning(
            "the Nacos client failed every query for %.0f s while Nacos answers: replacing it", WEDGED_AFTER
        )
        try:
            fresh = await open_naming(self._settings, 10.0)
        except RegistryUnavailable as exc:
            log.warning("could not open a new Nacos client yet: %s", exc)
            return
        old, self._naming = self._naming, fresh
        closing = asyncio.create_task(shut_down(old))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)
        for param in list(self._subscriptions):
            await fresh.subscribe(param)
        for reg in list(self._registered):
            await fresh.register_instance(reg)
        log.warning(
            "new Nacos client: %d registration(s) and %d subscription(s) sent again",
            len(self._registered),
            len(self._subscriptions),
        )

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        await self._http.aclose()
        await shut_down(self._naming)
