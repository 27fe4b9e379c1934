"""`ocr-mesh rollout SERVICE`: replace a service's running instances one at a time, under load,
without a failed request.

For each old instance: start a new one (today's code and environment, the next free port), wait
until it answers /health and Nacos lists it healthy, give the gateways time to take it into
their pools (Nacos pushes at once; reconciliation bounds a lost push to 2 s), then stop the old
one with SIGTERM: it deregisters first, keeps serving while the gateways drop it, finishes what
it has, and exits. A request that still reaches it late is retried elsewhere by the gateway.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mesh.names import GATEWAY
from mesh_tools.launcher.launcher import Launcher, Proc
from mesh_tools.launcher.procs import LaunchError

SETTLE_SECONDS = 3.0  # the gateway's reconciliation interval (2 s) plus a margin


def rollout(
    launcher: Launcher,
    service: str,
    *,
    settle: float = SETTLE_SECONDS,
    say: Callable[[str], None] = print,
) -> list[tuple[Proc, Proc]]:
    """Replace every running instance of `service`; the (old, new) pairs, in order."""
    if service == GATEWAY:
        raise LaunchError("the gateway is the entry point: put a second one behind your load balancer first")
    old = [p for p in launcher.procs() if p.service == service]
    if not old:
        raise LaunchError(f"no running {service} instance to replace")
    replaced = []
    for proc in old:
        started = time.monotonic()
        new = launcher.start_service(service)
        try:
            launcher.wait_ready([new])
        except BaseException:
            launcher.stop_service(new)
            raise
        time.sleep(settle)
        graceful = launcher.stop_service(proc)
        say(
            f"{service} :{proc.port} -> :{new.port} (new one ready and listed after "
            f"{time.monotonic() - started - settle:.1f} s; old one {'drained' if graceful else 'killed'})"
        )
        replaced.append((proc, new))
    return replaced
