"""A local, push-fed list of instances per service that outlives Nacos outages and cannot go deaf.

Nacos pushes changes; a push can still be lost (a subscription the server forgot after a
restart, a callback swallowed by the SDK's cache). So the directory also reconciles: every
few seconds it asks Nacos for each watched list and, where the two differ, takes Nacos' list
and renews the subscription. A lost push hides a change for one interval at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from mesh.instances import ServiceInstance
from mesh.registry import NacosRegistry

log = logging.getLogger(__name__)

ChangeHook = Callable[[str, list[ServiceInstance]], None]
RepairHook = Callable[[str], None]


@dataclass(frozen=True)
class NacosView:
    """What Nacos listed for a service when last asked; `addresses` is None if it could not be asked."""

    addresses: frozenset[str] | None


class ServiceDirectory:
    """Last known instances of each watched service; Nacos pushes and reconciliation replace them."""

    def __init__(
        self,
        reconcile_seconds: float = 2.0,
        settle_seconds: float = 10.0,
        on_repair: RepairHook | None = None,
    ) -> None:
        self._instances: dict[str, list[ServiceInstance]] = {}
        self._nacos: dict[str, NacosView] = {}
        self._hooks: list[ChangeHook] = []
        self._on_repair = on_repair
        self._every = reconcile_seconds
        self._settle = settle_seconds
        self._reconciler: asyncio.Task[None] | None = None

    def on_change(self, hook: ChangeHook) -> None:
        self._hooks.append(hook)

    def instances(self, service: str) -> list[ServiceInstance]:
        return list(self._instances.get(service, ()))

    def services(self) -> list[str]:
        return sorted(self._instances)

    def nacos_view(self, service: str) -> NacosView | None:
        """Nacos' own list as of the last reconciliation (None before the first one)."""
        return self._nacos.get(service)

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
        """Load the current list, then follow Nacos pushes for it (and reconcile with Nacos)."""
        self._instances.setdefault(service, [])
        await registry.subscribe(service, self.replace)
        self.replace(service, await registry.instances(service))
        if self._reconciler is None:
            self._reconciler = asyncio.create_task(self._reconcile_forever(registry))

    async def _reconcile_forever(self, registry: NacosRegistry) -> None:
        """Reconcile every `reconcile_seconds`; once a second while the push stream is down and for
        `settle_seconds` after it is back, then send every subscription again once."""
        settled_at = 0.0
        resubscribe = False
        while True:
            try:
                stream_up = bool(await registry.healthy())
            except Exception:
                stream_up = False
            now = time.monotonic()
            if not stream_up:
                settled_at, resubscribe = now + self._settle, True
            await asyncio.sleep(1.0 if now < settled_at else self._every)
            for service in self.services():
                with contextlib.suppress(Exception):  # logged inside; the next round tries again
                    await self.reconcile(registry, service, stream_up)
            if stream_up and resubscribe and time.monotonic() >= settled_at:
                with contextlib.suppress(Exception):
                    for service in self.services():
                        await self._resync(registry, service)
                    resubscribe = False  # only once all went through; else again next round

    async def reconcile(self, registry: NacosRegistry, service: str, stream_up: bool = True) -> bool:
        """Compare this directory's list with Nacos' own and take Nacos' where they differ;
        True if they differed. Over gRPC while the stream is up, else over Nacos' HTTP API."""
        try:
            fresh = await (registry.query(service) if stream_up else registry.instances_over_http(service))
        except Exception as exc:
            self._nacos[service] = NacosView(None)
            log.debug("could not ask Nacos for %s: %s", service, exc)
            raise
        self._nacos[service] = NacosView(frozenset(i.address for i in fresh))
        ours = self._instances.get(service, [])
        if set(fresh) == set(ours) or not fresh:  # like the SDK, never replace a list with an empty one
            return False
        theirs = {i.address for i in fresh}
        mine = {i.address for i in ours}
        log.warning(
            "%s: the gateway's view differed from Nacos (missing %s, extra %s); taking Nacos' list",
            service,
            ", ".join(sorted(theirs - mine)) or "none",
            ", ".join(sorted(mine - theirs)) or "none",
        )
        self.replace(service, fresh)
        if self._on_repair is not None:
            self._on_repair(service)
        if stream_up:
            await registry.resubscribe(service)  # a push went missing: renew the subscription
        return True

    async def _resync(self, registry: NacosRegistry, service: str) -> None:
        """Subscribe again, then take the SDK's own list. The SDK only calls back on a change
        against its cache, which the HTTP refreshes above bypass: left diverged, a push that
        brings the cache's old list back (every node re-registered) would never reach us."""
        await registry.resubscribe(service)
        synced = await registry.instances(service)
        if synced:
            self.replace(service, synced)

    async def close(self) -> None:
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler
