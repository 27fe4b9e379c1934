"""One instance of a service as Nacos lists it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceInstance:
    """One instance of a service as Nacos reports it."""

    service: str
    host: str
    port: int
    weight: float = 1.0
    healthy: bool = True
    enabled: bool = True
    metadata: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def usable(self) -> bool:
        """Healthy, enabled and with a positive weight."""
        return self.healthy and self.enabled and self.weight > 0
