"""`ocr-mesh config set` builds the entry from KEY=VALUE pairs over the current one and checks it
against the service's model before anything is published (the Nacos side: tests/e2e)."""

from __future__ import annotations

import pytest
import yaml

from mesh.live_config import LiveConfigRefused
from mesh.names import GATEWAY
from mesh_tools.config_commands import updated


def test_pairs_are_set_over_the_current_entry_with_yaml_types() -> None:
    text = updated(
        "rate_per_user: 5\nmaintenance: false\n", ["maintenance=true", "burst_per_user=40"], GATEWAY
    )
    assert yaml.safe_load(text) == {"rate_per_user": 5, "maintenance": True, "burst_per_user": 40}
    assert yaml.safe_load(updated("", ["maintenance_message=Back at 14:00"], GATEWAY)) == {
        "maintenance_message": "Back at 14:00"
    }


@pytest.mark.parametrize(
    ("pairs", "why"),
    [
        (["rate_per_usr=5"], "rate_per_usr"),  # a typo
        (["rate_per_user=fast"], "rate_per_user"),
        (["eject_after_failures=0"], "eject_after_failures"),
        (["ocr_strategy=fastest"], "ocr_strategy"),
        (["maintenance"], "KEY=VALUE"),
    ],
)
def test_a_bad_value_is_refused_before_publishing(pairs: list[str], why: str) -> None:
    with pytest.raises(LiveConfigRefused, match=why):
        updated("", pairs, GATEWAY)
