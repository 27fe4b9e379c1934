"""How this project opens, mends and closes nacos-sdk-python's naming and config clients (one
place for the SDK's quirks)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from v2.nacos import ClientConfig, ClientConfigBuilder, GRPCConfig, NacosConfigService, NacosNamingService
from v2.nacos.transport.model.internal_request import HealthCheckRequest

from mesh.settings import MeshSettings

log = logging.getLogger(__name__)

C = TypeVar("C")
WEDGED_AFTER = 10.0  # s disconnected while Nacos answers HTTP before the SDK's client is replaced


def _client_config(settings: MeshSettings, timeout: float) -> ClientConfig:
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
    return builder.build()


async def _opened(
    create: Callable[[ClientConfig], Awaitable[C]], settings: MeshSettings, timeout: float
) -> C:
    """An SDK client from `create`, logged in with its gRPC connection open, or RegistryUnavailable."""
    # The SDK tries the servers of a cluster one after another, each with the gRPC timeout.
    overall = timeout * len(nacos_servers(settings.nacos_addr)) + 2.0
    try:
        return await asyncio.wait_for(create(_client_config(settings, timeout)), overall)
    except Exception as exc:  # the SDK raises bare Exceptions and NacosException
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise RegistryUnavailable(f"cannot connect to Nacos at {settings.nacos_addr}: {reason}") from exc


async def open_naming(settings: MeshSettings, timeout: float) -> NacosNamingService:
    """A logged-in SDK naming client with its gRPC connection open."""
    naming = await _opened(NacosNamingService.create_naming_service, settings, timeout)
    await _redo_on_reconnect(naming)
    _one_reconnect_at_a_time(naming)
    return naming


async def open_config(settings: MeshSettings, timeout: float = 10.0) -> NacosConfigService:
    """A logged-in SDK config client (Nacos Config: get, publish, listen)."""
    return await _opened(NacosConfigService.create_config_service, settings, timeout)


async def shut_down(naming: NacosNamingService | NacosConfigService) -> None:
    """Close an SDK client, bounded: a wedged one may never finish on its own."""
    _wake_config_listener(naming)
    try:
        await asyncio.wait_for(naming.shutdown(), 5.0)
    except Exception:
        log.debug("error while closing a Nacos client", exc_info=True)


async def listen(client: NacosConfigService, data_id: str, group: str, listener: Callable[..., Any]) -> None:
    """Follow a config entry's changes, the listener registered with the server at once.

    nacos-sdk-python 3.2 registers a new listener with the server at its listen loop's next turn,
    up to 5 s later; a change published meanwhile was heard only then.
    """
    await client.add_listener(data_id, group, listener)
    _, channel = _listen_loop(client)
    if channel is not None:
        channel.put_nowait(None)


def _wake_config_listener(client: NacosNamingService | NacosConfigService) -> None:
    """Let a config client's listen loop see its stop at once.

    nacos-sdk-python 3.2's `shutdown()` sets a stop flag and awaits the loop, which looks at the
    flag only between waits of up to 5 s on its queue: every service with live settings took
    3-5 s to stop. Setting the flag and putting a wake-up on the queue first ends the loop's wait.
    """
    stop, channel = _listen_loop(client)
    if stop is not None and channel is not None:
        stop.set()
        channel.put_nowait(None)


def _listen_loop(client: object) -> tuple[asyncio.Event | None, asyncio.Queue[Any] | None]:
    """A config client's listen-loop stop flag and wake-up queue (None where this SDK has none)."""
    proxy = getattr(client, "grpc_client_proxy", None)
    stop, channel = getattr(proxy, "stop_event", None), getattr(proxy, "execute_config_listen_channel", None)
    return (
        stop if isinstance(stop, asyncio.Event) else None,
        channel if isinstance(channel, asyncio.Queue) else None,
    )


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


def _one_reconnect_at_a_time(naming: NacosNamingService) -> None:
    """Serialise the SDK's reconnects, and skip one whose connection is in fact fine.

    nacos-sdk-python 3.2 reconnects from two places at once after a Nacos restart (its health
    check calls reconnect directly, beside the reconnection task), and a reconnect closes the
    connection it replaces, whose stream watcher then asks for yet another reconnect. The
    churn loses registrations (one succeeds on a connection that is dropped a moment later
    and is marked done) and can leave a loop hanging. Here a reconnect waits for the one under
    way, then first checks the current connection and keeps it when the server answers it
    with success. (The SDK's own check counts any 3xx as healthy, and "connection is
    unregistered" is a 3xx: with it, a connection the server had forgotten was kept forever.)
    """
    try:
        rpc = naming.grpc_client_proxy.rpc_client
        original = rpc.reconnect
        running = type(rpc.rpc_client_status).RUNNING
    except AttributeError:  # another SDK version: leave it as it is
        log.warning("this nacos-sdk-python has no reconnect hook; its reconnects are left as they are")
        return
    one_at_a_time = asyncio.Lock()

    async def reconnect(context: Any) -> None:
        async with one_at_a_time:
            if await _connection_answers(rpc):
                async with rpc.lock:
                    rpc.rpc_client_status = running
                return
            await original(context)

    rpc.reconnect = reconnect


async def _connection_answers(rpc: Any) -> bool:
    """Whether the server answers a health check on the current connection with success."""
    if rpc.current_connection is None:
        return False
    try:
        response = await rpc.current_connection.request(HealthCheckRequest(), 3000)
    except Exception:
        return False
    return bool(response is not None and response.is_success())


class RegistryUnavailable(Exception):
    """Nacos cannot be reached or refused the call."""


def nacos_servers(addr: str) -> list[str]:
    """The `host:port` entries of OCR_MESH_NACOS_ADDR (one server, or a cluster's comma list)."""
    return [a.strip() for a in addr.split(",") if a.strip()]
