"""The discovery bridge's target book: what Nacos lists, plus what left it within the grace window."""

from __future__ import annotations

from mesh.instances import ServiceInstance
from mesh_tools.monitoring.targets import TargetBook


def node(port: int, version: str = "1.0") -> ServiceInstance:
    return ServiceInstance("ocr-service", "127.0.0.1", port, metadata={"version": version})


def test_listed_instances_are_targets_with_their_service_and_version() -> None:
    book = TargetBook(grace_seconds=60)
    book.update("ocr-service", [node(8101), node(8102, "2.0")], now=0)
    assert book.groups() == [
        {
            "targets": ["127.0.0.1:8101"],
            "labels": {"service": "ocr-service", "nacos": "listed", "version": "1.0"},
        },
        {
            "targets": ["127.0.0.1:8102"],
            "labels": {"service": "ocr-service", "nacos": "listed", "version": "2.0"},
        },
    ]


def test_an_instance_that_left_stays_as_gone_for_the_grace_window_then_drops() -> None:
    book = TargetBook(grace_seconds=60)
    book.update("ocr-service", [node(8101), node(8102)], now=0)
    book.update("ocr-service", [node(8101)], now=10)
    gone = [g for g in book.groups() if g["targets"] == ["127.0.0.1:8102"]]
    assert gone and gone[0]["labels"]["nacos"] == "gone"
    book.update("ocr-service", [node(8101)], now=59)
    assert len(book.groups()) == 2
    book.update("ocr-service", [node(8101)], now=61)
    assert [g["targets"] for g in book.groups()] == [["127.0.0.1:8101"]]


def test_an_instance_that_comes_back_is_listed_again() -> None:
    book = TargetBook(grace_seconds=60)
    book.update("ocr-service", [node(8101)], now=0)
    book.update("ocr-service", [], now=5)
    book.update("ocr-service", [node(8101)], now=8)
    assert book.groups()[0]["labels"]["nacos"] == "listed"


def test_one_services_list_does_not_touch_anothers() -> None:
    book = TargetBook(grace_seconds=0)
    book.update("user-service", [ServiceInstance("user-service", "127.0.0.1", 8001)], now=0)
    book.update("ocr-service", [], now=100)
    assert [g["labels"]["service"] for g in book.groups()] == ["user-service"]
