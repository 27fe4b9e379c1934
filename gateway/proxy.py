"""Forward a request to an instance of a service, retrying on a different one when it fails.

The one place that maps httpx's low-level errors to the mesh's errors.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import httpx

from gateway.balancer import Endpoint, Pool
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
_RETRYABLE = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)


@dataclass(frozen=True)
class Upstream:
    """An answer from an upstream instance, fully read."""

    status: int
    headers: list[tuple[str, str]]
    content: bytes
    served_by: str


def forwardable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]


class Forwarder:
    """Sends requests through one shared, pooled HTTP client."""

    def __init__(self, client: httpx.AsyncClient, max_attempts: int = 3) -> None:
        self._client = client
        self._max_attempts = max_attempts

    async def send(
        self,
        pool: Pool,
        method: str,
        path: str,
        *,
        headers: list[tuple[str, str]],
        body: bytes = b"",
        timeout: float,
    ) -> Upstream:
        """Try up to max_attempts distinct instances within one total deadline."""
        deadline = time.monotonic() + timeout
        tried: set[str] = set()
        last_error = "no instance answered"
        for _ in range(self._max_attempts):
            endpoint = pool.choose(exclude=tried)
            if endpoint is None:
                break
            tried.add(endpoint.address)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise UpstreamTimeout(f"{pool.service} did not answer in {timeout:.0f} s")
            result = await self._attempt(pool, endpoint, method, path, headers, body, remaining)
            if isinstance(result, Upstream):
                return result
            last_error = result
        if not tried:
            raise ServiceUnavailable(
                f"no healthy instance of {pool.service} is available; try again shortly",
                code="no_instance",
                retry_after=2,
            )
        raise ServiceUnavailable(
            f"{pool.service} is unavailable ({last_error}); try again shortly",
            code="upstream_unavailable",
            retry_after=2,
        )

    async def _attempt(
        self,
        pool: Pool,
        endpoint: Endpoint,
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeout: float,
    ) -> Upstream | str:
        """One try: an Upstream, or a reason string when another instance should be tried."""
        url = f"http://{endpoint.address}{path}"
        endpoint.in_flight += 1
        try:
            response = await self._client.request(
                method,
                url,
                headers=headers,
                content=body,
                timeout=httpx.Timeout(timeout, connect=min(2.0, timeout)),
            )
        except httpx.TimeoutException as exc:
            pool.failed(endpoint)
            if isinstance(exc, httpx.ConnectTimeout):
                return f"connect timeout to {endpoint.address}"
            raise UpstreamTimeout(f"{pool.service} did not answer in time") from exc
        except _RETRYABLE as exc:
            pool.failed(endpoint)
            log.warning(
                "%s at %s failed: %s; trying another", pool.service, endpoint.address, type(exc).__name__
            )
            return f"{type(exc).__name__} from {endpoint.address}"
        finally:
            endpoint.in_flight -= 1
        if response.status_code == 503:
            return f"{endpoint.address} is overloaded"
        pool.succeeded(endpoint)
        return Upstream(
            response.status_code, list(response.headers.multi_items()), response.content, endpoint.address
        )
