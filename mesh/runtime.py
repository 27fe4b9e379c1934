"""Run one service process: bind, wait until ready, register, and stop in the right order.

Stop order on SIGTERM/SIGINT: deregister from Nacos, give subscribers a moment to hear it,
stop accepting and drain in-flight requests, run the app's shutdown, exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI

from mesh.observability import Readiness
from mesh.registration import keep_registered
from mesh.registry import NacosRegistry
from mesh.settings import MeshSettings

log = logging.getLogger(__name__)

# Builds the app around the registry (None: Nacos is off) and the readiness the runtime watches.
AppBuilder = Callable[[NacosRegistry | None, Readiness], FastAPI]


class PortInUse(Exception):
    """The configured port is taken."""


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves so a taken port is a clear error naming it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} on {host} is already in use") from exc
        raise
    # Accepted connections inherit TCP_NODELAY (Linux): without it an answer written as headers
    # then body waits for the client's delayed ACK, ~40 ms per small response.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runner decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def base_metadata(settings: MeshSettings) -> dict[str, str]:
    return {
        "version": settings.version,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


async def run_service(
    service: str,
    settings: MeshSettings,
    build_app: AppBuilder,
    metadata: dict[str, str] | None = None,
) -> None:
    """Serve the app until a stop signal, registered in Nacos while the readiness it was built
    with says ready."""
    sock = bind_socket(settings.host, settings.port)
    port = sock.getsockname()[1]
    registry = await NacosRegistry.connect(settings) if settings.nacos_enabled else None
    readiness = Readiness()
    app = build_app(registry, readiness)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.drain_seconds),
        timeout_keep_alive=30,
        forwarded_allow_ips=settings.trusted_proxies,
        ssl_certfile=settings.tls_certfile,
        ssl_keyfile=settings.tls_keyfile,
    )
    server = _Server(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    serving = asyncio.create_task(server.serve(sockets=[sock]))
    guard: asyncio.Task[None] | None = None
    try:
        registered = await _register_when_ready(
            readiness, server, serving, stop, registry, service, settings, port, metadata
        )
        if registered and registry is not None:
            readiness.registration.state = "registered"
            guard = asyncio.create_task(
                keep_registered(registry, readiness.registration, settings.registration_check_seconds)
            )
        elif registry is None:
            readiness.registration.state = "disabled"
        if not serving.done():
            await asyncio.wait(
                [serving, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
            )
        if guard is not None:
            guard.cancel()  # a stopping instance must not register itself again
        if registered and registry is not None:
            readiness.registration.state = "not_registered"
            await registry.deregister_all()
            await asyncio.sleep(settings.deregister_grace_seconds)
        server.should_exit = True
        await serving
    finally:
        if guard is not None:
            guard.cancel()
        if registry is not None:
            await registry.deregister_all()
            await registry.close()
        sock.close()


def _reclaim_stop_signals(stop: asyncio.Event) -> None:
    """Install our stop handlers again: native libraries loaded during start-up (Paddle's
    failure handler) take SIGTERM over and would abort without deregistering or draining."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def _register_when_ready(
    readiness: Readiness,
    server: uvicorn.Server,
    serving: asyncio.Task[Any],
    stop: asyncio.Event,
    registry: NacosRegistry | None,
    service: str,
    settings: MeshSettings,
    port: int,
    metadata: dict[str, str] | None,
) -> bool:
    while not stop.is_set() and not serving.done():
        if server.started and readiness.ready:
            break
        if readiness.state == "failed":
            log.error("%s failed to start: %s", service, readiness.detail)
            stop.set()
            return False
        await asyncio.sleep(0.05)
    if stop.is_set() or serving.done() or registry is None:
        return False
    _reclaim_stop_signals(stop)
    meta = base_metadata(settings) | (metadata or {})
    await registry.register(service, settings.advertised_host, port, meta, settings.weight)
    log.info("%s ready on %s:%s", service, settings.advertised_host, port)
    return True


def serve_main(
    service: str,
    settings: MeshSettings,
    build_app: AppBuilder,
    metadata: dict[str, str] | None = None,
) -> int:
    """Entry point body for `python -m <service>`: run, and turn start-up failures into messages."""
    from mesh.logs import configure_logging
    from mesh.nacos_sdk import RegistryUnavailable

    configure_logging(service, settings.log_level)
    try:
        asyncio.run(run_service(service, settings, build_app, metadata))
    except PortInUse as exc:
        log.error("%s cannot start: %s", service, exc)
        return 2
    except RegistryUnavailable as exc:
        log.error("%s cannot start: %s", service, exc)
        return 3
    return 0
