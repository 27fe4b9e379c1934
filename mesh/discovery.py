"""A local, push-fed list of instances per service that outlives Nacos outages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from mesh.registry import NacosRegistry, ServiceInstance

log = logging.getLogger(__name__)

ChangeHook = Callable[[str, list[ServiceInstance]], None]


class ServiceDirectory:
    """Last known instances of each watched service; Nacos pushes replace them."""

    def __init__(self) -> None:
        self._instances: dict[str, list[ServiceInstance]] = {}
        self._hooks: list[ChangeHook] = []
        self._watchdog: asyncio.Task[None] | None = None

    def on_change(self, hook: ChangeHook) -> None:
        self._hooks.append(hook)

    def instances(self, service: str) -> list[ServiceInstance]:
        return list(self._instances.get(service, ()))

    def services(self) -> list[str]:
        return sorted(self._instances)

    def replace(self, service: str, instances: list[ServiceInstance]) -> None:
        """Take a new list for a service, as pushed by Nacos or given by a test."""
        old = {i.address for i in self._instances.get(service, ())}
        self._instances[service] = sorted(instances, key=lambda i: (i.host, i.port))
        new = {i.address for i in instances}
        if old != new:
            log.info("%s instances now: %s", service, ", ".join(sorted(new)) or "none")
        for hook in self._hooks:
            hook(service, self.instances(service))

    async def watch(self, registry: NacosRegistry, service: str) -> None:
        """Load the current list, then follow Nacos pushes for it."""
        self._instances.setdefault(service, [])
        await registry.subscribe(service, self.replace)
        self.replace(service, await registry.instances(service))
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._bridge_outages(registry))

    async def _bridge_outages(
        self, registry: NacosRegistry, interval: float = 1.0, settle: float = 10.0
    ) -> None:
        """While the push stream is down, and for `settle` s after it is back, refresh from
        Nacos' HTTP API once a second.

        The last known lists stay in use throughout; this only makes instances that joined
        while the gRPC client was reconnecting (or before its subscriptions were redone)
        visible as soon as Nacos answers again. At the end of that window every subscription
        is sent once more, so pushes surely flow on the new connection.
        """
        bridge_until = 0.0
        resubscribe = False
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                if not await registry.healthy():
                    bridge_until = time.monotonic() + settle
                    resubscribe = True
                elif time.monotonic() >= bridge_until:
                    if resubscribe:  # the stream has been back for `settle` s: make sure of pushes
                        for service in self.services():
                            await self._resync(registry, service)
                        resubscribe = False  # only once all went through; else again in a second
                    continue
                for service in self.services():
                    fresh = await registry.instances_over_http(service)
                    if fresh:  # like the SDK, never replace a list with an empty one
                        self.replace(service, fresh)

    async def _resync(self, registry: NacosRegistry, service: str) -> None:
        """Subscribe again, then take the SDK's own list. The SDK only calls back on a change
        against its cache, which the HTTP refreshes above bypass: left diverged, a push that
        brings the cache's old list back (every node re-registered) would never reach us."""
        await registry.resubscribe(service)
        synced = await registry.instances(service)
        if synced:
            self.replace(service, synced)

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
