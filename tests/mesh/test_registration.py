"""The self-healing registration loop, against an in-process fake of the registry."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import pytest
from v2.nacos import RegisterInstanceParam

from mesh.names import OCR_SERVICE
from mesh.registration import RegistrationCollector, RegistrationStatus, keep_registered


def _param(port: int) -> RegisterInstanceParam:
    return RegisterInstanceParam(service_name=OCR_SERVICE, group_name="g", ip="127.0.0.1", port=port)


@dataclass
class FakeRegistry:
    """Lists what was registered, minus what a test dropped behind the owner's back."""

    registered: list[RegisterInstanceParam]
    dropped: set[int] = field(default_factory=set)
    unreachable: bool = False
    reregistered: list[int] = field(default_factory=list)

    async def missing_registrations(self) -> list[RegisterInstanceParam]:
        if self.unreachable:
            raise ConnectionError("nacos down")
        return [p for p in self.registered if p.port in self.dropped]

    async def reregister(self, param: RegisterInstanceParam) -> None:
        self.reregistered.append(param.port)
        self.dropped.discard(param.port)


async def _run_for(registry: FakeRegistry, status: RegistrationStatus, seconds: float) -> None:
    task = asyncio.create_task(keep_registered(registry, status, every=0.01))  # type: ignore[arg-type]
    await asyncio.sleep(seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_dropped_registration_is_sent_again_and_counted() -> None:
    registry = FakeRegistry([_param(1), _param(2)])
    status = RegistrationStatus(state="registered")
    await _run_for(registry, status, 0.05)
    assert status.losses == 0 and registry.reregistered == []
    registry.dropped.add(2)
    await _run_for(registry, status, 0.1)
    assert registry.reregistered == [2]
    assert (status.state, status.losses, status.repairs) == ("registered", 1, 1)


async def test_one_miss_is_not_a_loss_two_in_a_row_are() -> None:
    """The server's index may lag a write by a moment: only a second miss in a row re-registers."""
    registry = FakeRegistry([_param(1)])
    status = RegistrationStatus(state="registered")
    calls = 0

    async def flaky() -> list[RegisterInstanceParam]:
        nonlocal calls
        calls += 1
        return registry.registered if calls == 1 else []

    registry.missing_registrations = flaky  # type: ignore[method-assign]
    await _run_for(registry, status, 0.08)
    assert registry.reregistered == [] and status.losses == 0


async def test_registry_unreachable_is_reported_not_counted_as_a_loss() -> None:
    registry = FakeRegistry([_param(1)], unreachable=True)
    status = RegistrationStatus(state="registered")
    await _run_for(registry, status, 0.05)
    assert status.state == "registry_unreachable" and status.losses == 0
    registry.unreachable = False
    await _run_for(registry, status, 0.05)
    assert status.state == "registered"


@pytest.mark.parametrize("state", ["registered", "missing"])
def test_status_is_exported_as_metrics(state: str) -> None:
    status = RegistrationStatus(state=state, losses=2, repairs=1)
    families = {f.name: f.samples[0].value for f in RegistrationCollector(status).collect()}
    assert families == {
        "nacos_registered": 1.0 if state == "registered" else 0.0,
        "nacos_registration_losses": 2.0,
        "nacos_registration_repairs": 1.0,
    }
    assert status.as_dict()["state"] == state
