"""Which OCR instances a request goes to first: the client's version hint, or the live canary split.

Instances carry their `version` in Nacos metadata (`OCR_MESH_VERSION`). A request with the
header `X-Mesh-Version: <version>` goes to instances of that version when there are any, as
Spring Cloud LoadBalancer's hint does; otherwise `canary_percent` % of requests go to instances
of `canary_version` and the rest to the others (live settings, docs/operating.md).
"""

from __future__ import annotations

from gateway.balancer import Endpoint
from gateway.live import GatewayLive

HINT_HEADER = "x-mesh-version"


def _version(endpoint: Endpoint) -> str:
    return endpoint.instance.metadata.get("version", "")


def is_canary(metadata: dict[str, str], live: GatewayLive) -> bool:
    """Whether an instance with this Nacos metadata is of the live canary version."""
    return (
        bool(live.canary_version and live.canary_percent > 0)
        and metadata.get("version") == live.canary_version
    )


def avoid_for(endpoints: list[Endpoint], live: GatewayLive, hint: str | None, draw: float) -> frozenset[str]:
    """Addresses the first attempt stays off; `draw` is a uniform number in [0, 1)."""
    usable = {e.address: e for e in endpoints if e.instance.usable}
    if hint:
        wanted = {a for a, e in usable.items() if _version(e) == hint}
        return frozenset(usable.keys() - wanted) if wanted else frozenset()
    canary = {a for a, e in usable.items() if is_canary(e.instance.metadata, live)}
    stable = usable.keys() - canary
    if not canary or not stable:
        return frozenset()
    return frozenset(stable if draw * 100 < live.canary_percent else canary)
