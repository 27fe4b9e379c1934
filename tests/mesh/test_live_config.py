"""Live settings from a Nacos Config entry: parsed over the defaults, validated whole, refused
whole (the last good settings stay), counted."""

from __future__ import annotations

from typing import Literal

import pytest
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ConfigDict, Field

from mesh.live_config import LiveConfig, LiveConfigMetrics, LiveConfigRefused, data_id, from_env, parse


class Knobs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: float = Field(ge=0)
    mode: Literal["a", "b"] = "a"
    enabled: bool = False


DEFAULTS = Knobs(rate=20)


def test_an_entry_is_read_over_the_defaults() -> None:
    assert parse("rate: 5\n", Knobs, DEFAULTS) == Knobs(rate=5)
    assert parse("mode: b\nenabled: true\n", Knobs, DEFAULTS) == Knobs(rate=20, mode="b", enabled=True)
    for empty in (None, "", "  \n", "# nothing set\n"):
        assert parse(empty, Knobs, DEFAULTS) == DEFAULTS
    assert data_id("ocr-gateway") == "ocr-gateway.yaml"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("rate: fast\n", "rate"),
        ("rate: -1\n", "rate"),
        ("mode: c\n", "mode"),
        ("speed: 3\n", "speed"),  # an unknown key: a typo must not pass silently
        ("- rate\n- 5\n", "mapping"),
        ("rate: [1\n", "YAML"),
    ],
)
def test_a_bad_entry_is_refused_whole_with_the_reason(text: str, why: str) -> None:
    with pytest.raises(LiveConfigRefused, match=why):
        parse(text, Knobs, DEFAULTS)
    with pytest.raises(LiveConfigRefused):
        parse(text.rstrip("\n") + "\nenabled: true\n", Knobs, DEFAULTS)  # its good keys do not apply either


def test_the_last_good_settings_stay_and_each_outcome_is_counted() -> None:
    registry = CollectorRegistry()
    seen: list[Knobs] = []
    live = LiveConfig("svc", "g", Knobs, DEFAULTS, seen.append, LiveConfigMetrics(registry))
    assert live.apply_text("rate: 5\n") and live.current == Knobs(rate=5)
    assert not live.apply_text("rate: 5\nmode: nope\n")
    assert live.current == Knobs(rate=5)
    assert live.apply_text("rate: 5\n")  # the same again: applied, nobody told of a change
    assert seen == [Knobs(rate=5)]
    assert live.apply_text(None) and live.current == DEFAULTS  # the entry deleted: the env's values
    assert seen == [Knobs(rate=5), DEFAULTS]

    def count(outcome: str) -> float:
        value = registry.get_sample_value("live_config_updates_total", {"outcome": outcome})
        return value or 0.0

    assert (count("applied"), count("refused")) == (3.0, 1.0)


def test_the_start_values_come_from_the_services_settings_by_name() -> None:
    class Env(BaseModel):
        rate: float = 7
        mode: str = "b"
        unrelated: int = 1

    assert from_env(Knobs, Env()) == Knobs(rate=7, mode="b")  # `enabled` keeps the model's default
