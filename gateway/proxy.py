"""Forward a request to an instance of a service, retrying on a different one when it fails.

The one place that maps the upstream client's low-level errors to the mesh's errors. The
client is aiohttp: on loopback it costs ~0.3 ms a request against httpx's ~0.8 ms, which is
most of what the gateway adds to a small answer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import aiohttp

from gateway.balancer import Endpoint, Pool
from gateway.metrics import GatewayMetrics
from mesh.errors import ServiceUnavailable, UpstreamTimeout

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
# No connection could be made: nothing listens there (refused), the address is gone (a killed
# container, a cut link: the connect times out) or unreachable. Unlike a connection broken in
# the middle, which a benign keep-alive race can also cause, this ejects the instance at once.
_UNREACHABLE = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
# Failures where the request did not complete upstream, the connection broke, or the answer
# was malformed (aiohttp.ClientError covers disconnect, payload and protocol errors).
_RETRYABLE = (aiohttp.ClientError,)


@dataclass(frozen=True)
class Upstream:
    """An answer from an upstream instance, fully read."""

    status: int
    headers: list[tuple[str, str]]
    content: bytes
    served_by: str


@dataclass(frozen=True)
class Route:
    """How one kind of call is sent: its deadline, attempts and wait for a free slot."""

    timeout: float
    attempt_timeout: float
    max_attempts: int = 3
    slot_wait: float = 10.0
    connect_timeout: float = 0.25  # GatewaySettings.connect_timeout


def forwardable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]


class Forwarder:
    """Sends requests through one shared, pooled HTTP client."""

    def __init__(self, client: aiohttp.ClientSession, metrics: GatewayMetrics) -> None:
        self._client = client
        self._metrics = metrics

    async def send(
        self,
        pool: Pool,
        route: Route,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        avoid: frozenset[str] = frozenset(),
    ) -> Upstream:
        """Try up to max_attempts distinct instances within the route's total deadline.

        `avoid` (a canary split or a version hint) keeps the first attempt off those instances;
        a retry may go anywhere, since a failed request costs more than a version mismatch.
        """
        deadline = time.monotonic() + route.timeout
        tried: set[str] = set()
        last_error = "no instance answered"
        for attempt in range(route.max_attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise UpstreamTimeout(f"{pool.service} did not answer within {route.timeout:.0f} s")
            first_pick = tried | avoid if not attempt else tried
            endpoint = await pool.acquire(first_pick, min(route.slot_wait, remaining))
            if endpoint is None and first_pick != tried:  # nothing left of the preferred version
                endpoint = await pool.acquire(tried, min(route.slot_wait, remaining))
            if endpoint is None:
                break
            if attempt:
                self._metrics.retries.labels(pool.service).inc()
            tried.add(endpoint.address)
            try:
                timeout = min(route.attempt_timeout, deadline - time.monotonic())
                limits = aiohttp.ClientTimeout(
                    total=timeout, sock_connect=min(route.connect_timeout, timeout)
                )
                result = await self._attempt(pool, endpoint, method, path, headers, body, limits)
            finally:
                await pool.release(endpoint)
            if isinstance(result, Upstream):
                return result
            last_error = result
        if not tried:
            raise ServiceUnavailable(
                f"no healthy instance of {pool.service} is available; try again shortly",
                code="no_instance",
                retry_after=2,
            )
        if last_error.startswith("timeout"):
            raise UpstreamTimeout(f"{pool.service} did not answer in time ({last_error})")
        raise ServiceUnavailable(
            f"{pool.service} is unavailable ({last_error}); try again shortly",
            code="upstream_unavailable",
            retry_after=2,
        )

    def _failed(self, pool: Pool, endpoint: Endpoint, outcome: str) -> None:
        self._metrics.upstream.labels(pool.service, endpoint.address, outcome).inc()
        if pool.failed(endpoint, at_once=outcome == "unreachable"):
            self._metrics.ejections.labels(pool.service, endpoint.address).inc()
            why = "it could not be reached" if outcome == "unreachable" else "repeated failures"
            log.warning("ejected %s at %s: %s", pool.service, endpoint.address, why)

    async def _attempt(
        self,
        pool: Pool,
        endpoint: Endpoint,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeout: aiohttp.ClientTimeout,
    ) -> Upstream | str:
        """One try: an Upstream, or a reason string when another instance should be tried."""
        url = f"http://{endpoint.address}{path}"
        started = time.perf_counter()
        try:
            async with self._client.request(
                method,
                url,
                headers=headers,
                data=body or None,
                timeout=timeout,
            ) as response:
                content = await response.read()
        except _UNREACHABLE as exc:
            self._failed(pool, endpoint, "unreachable")
            log.warning(
                "%s at %s unreachable: %s; trying another", pool.service, endpoint.address, type(exc).__name__
            )
            return f"{type(exc).__name__} from {endpoint.address}"
        except TimeoutError:
            self._failed(pool, endpoint, "timeout")
            log.warning("%s at %s timed out; trying another", pool.service, endpoint.address)
            return f"timeout at {endpoint.address}"
        except _RETRYABLE as exc:
            self._failed(pool, endpoint, "error")
            log.warning(
                "%s at %s failed: %s; trying another", pool.service, endpoint.address, type(exc).__name__
            )
            return f"{type(exc).__name__} from {endpoint.address}"
        self._metrics.latency.labels(pool.service).observe(time.perf_counter() - started)
        if response.status == 503:
            self._metrics.upstream.labels(pool.service, endpoint.address, "busy").inc()
            return f"{endpoint.address} is overloaded"
        self._metrics.upstream.labels(pool.service, endpoint.address, str(response.status)).inc()
        pool.succeeded(endpoint)
        return Upstream(response.status, list(response.headers.items()), content, endpoint.address)
