"""The directory's reconciliation with Nacos' own list, against an in-process fake registry."""

from __future__ import annotations

from dataclasses import dataclass, field

from mesh.discovery import ServiceDirectory
from mesh.instances import ServiceInstance
from mesh.names import OCR_SERVICE


def _inst(port: int, weight: float = 1.0) -> ServiceInstance:
    return ServiceInstance(OCR_SERVICE, "127.0.0.1", port, weight=weight)


@dataclass
class FakeRegistry:
    listed: list[ServiceInstance]
    resubscribed: list[str] = field(default_factory=list)

    async def query(self, service: str) -> list[ServiceInstance]:
        return list(self.listed)

    async def instances_over_http(self, service: str) -> list[ServiceInstance]:
        return list(self.listed)

    async def resubscribe(self, service: str) -> None:
        self.resubscribed.append(service)


async def test_a_lost_push_is_repaired_by_reconciliation() -> None:
    repairs: list[str] = []
    directory = ServiceDirectory(on_repair=repairs.append)
    directory.replace(OCR_SERVICE, [_inst(1), _inst(2)])
    registry = FakeRegistry([_inst(1), _inst(2), _inst(3)])  # 3 joined, its push never came
    assert await directory.reconcile(registry, OCR_SERVICE)  # type: ignore[arg-type]
    assert [i.port for i in directory.instances(OCR_SERVICE)] == [1, 2, 3]
    assert repairs == [OCR_SERVICE] and registry.resubscribed == [OCR_SERVICE]
    view = directory.nacos_view(OCR_SERVICE)
    assert view is not None and view.addresses == {"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}


async def test_equal_lists_change_nothing_and_a_weight_change_counts() -> None:
    directory = ServiceDirectory()
    directory.replace(OCR_SERVICE, [_inst(1), _inst(2)])
    registry = FakeRegistry([_inst(2), _inst(1)])
    assert not await directory.reconcile(registry, OCR_SERVICE)  # type: ignore[arg-type]
    registry.listed = [_inst(1), _inst(2, weight=0.0)]
    assert await directory.reconcile(registry, OCR_SERVICE)  # type: ignore[arg-type]
    assert [i.weight for i in directory.instances(OCR_SERVICE)] == [1.0, 0.0]


async def test_an_empty_answer_never_empties_the_list_but_is_recorded() -> None:
    """Like the SDK: a restarting Nacos lists nothing for a moment; traffic goes on meanwhile."""
    directory = ServiceDirectory()
    directory.replace(OCR_SERVICE, [_inst(1)])
    assert not await directory.reconcile(FakeRegistry([]), OCR_SERVICE, stream_up=False)  # type: ignore[arg-type]
    assert [i.port for i in directory.instances(OCR_SERVICE)] == [1]
    view = directory.nacos_view(OCR_SERVICE)
    assert view is not None and view.addresses == frozenset()
