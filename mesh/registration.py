"""Self-healing registration: check that Nacos still lists this instance, and register it again
when it does not (anti-entropy on top of the SDK's own redo after a reconnect).

The SDK's redo can lose an instance: a registration that succeeded on a connection the client
abandoned a moment later is marked done, the server drops it with the old connection, and no
redo follows. Nothing but asking the server notices that, so every service asks it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from mesh.registry import NacosRegistry

log = logging.getLogger(__name__)


@dataclass
class RegistrationStatus:
    """Where this process stands in Nacos, as its own checks last saw it."""

    state: str = "not_registered"  # not_registered, registered, missing, registry_unreachable, disabled
    losses: int = 0
    repairs: int = 0
    checked_at: float = 0.0  # time.time() of the last check that reached Nacos
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"state": self.state, "losses": self.losses, "repairs": self.repairs}
        if self.checked_at:
            body["checked_seconds_ago"] = round(time.time() - self.checked_at, 1)
        if self.detail:
            body["detail"] = self.detail
        return body


class RegistrationCollector(Collector):
    """Exports a RegistrationStatus as Prometheus metrics."""

    def __init__(self, status: RegistrationStatus) -> None:
        self._status = status

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        s = self._status
        yield GaugeMetricFamily(
            "nacos_registered", "1 while Nacos lists this instance (as last checked)", s.state == "registered"
        )
        yield CounterMetricFamily(
            "nacos_registration_losses", "Times Nacos was found no longer listing this instance", s.losses
        )
        yield CounterMetricFamily(
            "nacos_registration_repairs", "Times this instance registered itself again", s.repairs
        )


async def keep_registered(registry: NacosRegistry, status: RegistrationStatus, every: float) -> None:
    """Every `every` s, ask Nacos for this process's own instances and register again those missing
    from two answers in a row (one miss can be the server's index catching up with a write)."""
    seen_missing: set[tuple[str, str, int]] = set()
    unreachable_since = time.monotonic()
    while True:
        await asyncio.sleep(every)
        try:
            missing = await registry.missing_registrations()
        except Exception as exc:  # Nacos down or reconnecting: the SDK's redo and the next check follow
            if status.state != "registry_unreachable":
                log.warning("cannot check the registration in Nacos: %s", exc)
                unreachable_since = time.monotonic()
            elif time.monotonic() - unreachable_since > 30:
                log.warning("still cannot check the registration in Nacos: %s", exc)
                unreachable_since = time.monotonic()
            status.state, status.detail = "registry_unreachable", type(exc).__name__
            continue
        status.checked_at = time.time()
        keys = {(p.service_name, p.ip, p.port) for p in missing}
        confirmed = [p for p in missing if (p.service_name, p.ip, p.port) in seen_missing]
        seen_missing = keys
        if not missing:
            status.state, status.detail = "registered", ""
        if not confirmed:
            continue
        missing = confirmed
        if status.state != "missing":
            status.losses += 1
        status.state = "missing"
        names = ", ".join(f"{p.service_name} {p.ip}:{p.port}" for p in missing)
        log.warning("registration lost: Nacos no longer lists %s; registering again", names)
        try:
            for param in missing:
                await registry.reregister(param)
        except Exception as exc:
            status.detail = f"re-registration failed: {type(exc).__name__}"
            log.warning("re-registration of %s failed (%s); trying again in %.0f s", names, exc, every)
            continue
        seen_missing = set()
        status.repairs += 1
        status.state, status.detail = "registered", ""
        log.warning("registration repaired: %s listed again", names)
