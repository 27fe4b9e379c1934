"""/api/instances marks each instance with whether Nacos lists it, and adds those only Nacos lists."""

from __future__ import annotations

from gateway.state import _beside_nacos
from mesh.discovery import NacosView


def _entry(port: int) -> dict[str, object]:
    return {"host": "127.0.0.1", "port": port, "in_flight": 1, "served": 5}


def test_views_agree() -> None:
    entries = _beside_nacos([_entry(1)], NacosView(frozenset({"127.0.0.1:1"})))
    assert entries == [_entry(1) | {"in_gateway": True, "in_nacos": True}]


def test_a_divergence_is_shown_from_both_sides() -> None:
    entries = _beside_nacos([_entry(1), _entry(2)], NacosView(frozenset({"127.0.0.1:1", "127.0.0.1:3"})))
    by_port = {e["port"]: e for e in entries}
    assert (by_port[2]["in_gateway"], by_port[2]["in_nacos"]) == (True, False)
    assert (by_port[3]["in_gateway"], by_port[3]["in_nacos"]) == (False, True)
    assert by_port[3]["served"] == 0


def test_unknown_when_nacos_was_not_asked() -> None:
    assert _beside_nacos([_entry(1)], None)[0]["in_nacos"] is None
    assert _beside_nacos([_entry(1)], NacosView(None))[0]["in_nacos"] is None
