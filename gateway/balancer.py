"""Client-side load balancing: per-service pools of instances with live stats and ejection."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from mesh.errors import ServiceUnavailable
from mesh.instances import ServiceInstance

Strategy = Literal["round_robin", "weighted_random", "least_in_flight"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)


@dataclass
class Endpoint:
    """One instance plus what the gateway has seen of it."""

    instance: ServiceInstance
    in_flight: int = 0
    served: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    ejected_until: float = 0.0
    last_pick: int = -1  # the pool's pick counter when least-in-flight last chose it

    @property
    def address(self) -> str:
        return self.instance.address


class Pool:
    """The usable instances of one service and the strategy that picks among them."""

    def __init__(
        self,
        service: str,
        strategy: str = "round_robin",
        *,
        eject_after: int = 2,
        eject_seconds: float = 10.0,
        max_in_flight: int = 0,
        max_waiters: int = 1024,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.retune(strategy, eject_after, eject_seconds)
        self._rng = rng or random.Random()
        self._clock = clock
        self._counter = itertools.count()
        self._endpoints: dict[str, Endpoint] = {}
        self.max_in_flight = max_in_flight
        self._max_waiters = max_waiters
        self._waiters = 0
        self._freed = asyncio.Condition()

    def retune(self, strategy: str, eject_after: int, eject_seconds: float) -> None:
        """New balancing and ejection settings, live; ejections under way keep their end time."""
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
        self.strategy = strategy
        self._eject_after = eject_after
        self._eject_seconds = eject_seconds

    def update(self, instances: list[ServiceInstance]) -> None:
        """Take Nacos' new list, keeping the stats of instances that stay."""
        fresh: dict[str, Endpoint] = {}
        for inst in instances:
            old = self._endpoints.get(inst.address)
            if old is None:
                fresh[inst.address] = Endpoint(inst)
            else:
                old.instance = inst
                fresh[inst.address] = old
        self._endpoints = fresh

    def endpoints(self) -> list[Endpoint]:
        return list(self._endpoints.values())

    def choose(self, exclude: frozenset[str] | set[str] = frozenset()) -> Endpoint | None:
        """Pick an instance not in `exclude`; ejected ones only when nothing else is left."""
        now = self._clock()
        usable = [e for e in self._endpoints.values() if e.instance.usable and e.address not in exclude]
        if self.max_in_flight > 0:
            usable = [e for e in usable if e.in_flight < self.max_in_flight]
        live = [e for e in usable if e.ejected_until <= now]
        candidates = live or usable
        if not candidates:
            return None
        if self.strategy == "weighted_random":
            return self._rng.choices(candidates, weights=[e.instance.weight for e in candidates])[0]
        if self.strategy == "least_in_flight":
            if len(candidates) == 1:
                return candidates[0]
            a, b = self._rng.sample(candidates, 2)
            # Ties (always, at concurrency 1) go to the one picked longer ago, so an idle mesh
            # still takes turns; a lifetime count would flood a newly joined instance instead.
            pick = a if (a.in_flight, a.last_pick) <= (b.in_flight, b.last_pick) else b
            pick.last_pick = next(self._counter)
            return pick
        return candidates[next(self._counter) % len(candidates)]

    def serving(self) -> int:
        """How many instances are in rotation: usable and not ejected."""
        now = self._clock()
        return sum(e.instance.usable and e.ejected_until <= now for e in self._endpoints.values())

    def has_candidates(self, exclude: frozenset[str] | set[str] = frozenset()) -> bool:
        """Whether any usable instance is left once `exclude` is taken out (busy or not)."""
        return any(e.instance.usable and e.address not in exclude for e in self._endpoints.values())

    async def acquire(self, exclude: frozenset[str] | set[str], wait: float) -> Endpoint | None:
        """Take a slot on an instance, waiting up to `wait` s for one to free; None if none is left."""
        deadline = self._clock() + wait
        while True:
            endpoint = self.choose(exclude)
            if endpoint is not None:
                endpoint.in_flight += 1
                return endpoint
            if not self.has_candidates(exclude):
                return None
            remaining = deadline - self._clock()
            if remaining <= 0 or self._waiters >= self._max_waiters:
                raise ServiceUnavailable(
                    f"every {self.service} instance is busy; try again shortly",
                    code="overloaded",
                    retry_after=2,
                )
            self._waiters += 1
            try:
                async with self._freed:
                    await asyncio.wait_for(self._freed.wait(), remaining)
            except TimeoutError:
                pass
            finally:
                self._waiters -= 1

    async def release(self, endpoint: Endpoint) -> None:
        endpoint.in_flight -= 1
        async with self._freed:
            self._freed.notify_all()

    def succeeded(self, endpoint: Endpoint) -> None:
        endpoint.served += 1
        endpoint.consecutive_failures = 0
        endpoint.ejected_until = 0.0

    def failed(self, endpoint: Endpoint, *, at_once: bool = False) -> bool:
        """Count a failure; eject after enough in a row (or at once), for a back-off period.

        True if this failure ejected it (not when it only extends an ejection under way).
        """
        endpoint.failures += 1
        endpoint.consecutive_failures += 1
        if at_once or endpoint.consecutive_failures >= self._eject_after:
            now = self._clock()
            newly = endpoint.ejected_until <= now
            endpoint.ejected_until = now + self._eject_seconds
            return newly
        return False

    def snapshot(self) -> list[dict[str, Any]]:
        now = self._clock()
        return [
            {
                "host": e.instance.host,
                "port": e.instance.port,
                "healthy": e.instance.healthy,
                "enabled": e.instance.enabled,
                "weight": e.instance.weight,
                "metadata": e.instance.metadata,
                "in_flight": e.in_flight,
                "served": e.served,
                "failures": e.failures,
                "ejected": e.ejected_until > now,
                "ejected_for_seconds": round(max(0.0, e.ejected_until - now), 2),
            }
            for e in self._endpoints.values()
        ]
