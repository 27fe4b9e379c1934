"""Live settings from a Nacos Config entry: parsed over the defaults, validated whole, refused
whole (the last good settings stay), counted."""

from __future__ import annotations

import asyncio
from typing import Any, Literal, cast

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


class FakeConfigClient:
    """Nacos Config as the SDK's client shows it: an entry's text, and listeners it may not tell."""

    def __init__(self, text: str | None) -> None:
        self.text = text
        self.listeners: list[Any] = []
        self.reads = 0
        self.answer_late: asyncio.Event | None = None  # set: a read waits for it, then answers
        self.away = False  # Nacos not answering

    async def get_config(self, _param: object) -> str | None:
        self.reads += 1
        if self.away:
            raise Exception("Request nacos config server failed")  # as bare as the SDK's
        text = self.text
        if self.answer_late is not None:
            await self.answer_late.wait()
        return text

    async def add_listener(self, _data_id: str, _group: str, listener: Any) -> None:
        self.listeners.append(listener)

    async def push(self, text: str | None) -> None:
        self.text = text
        for listener in self.listeners:
            await listener("", "g", "svc.yaml", text)


def _following(client: FakeConfigClient, every: float = 3600) -> tuple[LiveConfig[Knobs], CollectorRegistry]:
    registry = CollectorRegistry()
    return LiveConfig(
        "svc", "g", Knobs, DEFAULTS, lambda _: None, LiveConfigMetrics(registry), every
    ), registry


def _applied(registry: CollectorRegistry) -> float:
    return registry.get_sample_value("live_config_updates_total", {"outcome": "applied"}) or 0.0


def test_a_change_the_push_lost_is_found_by_the_next_read() -> None:
    async def run() -> None:
        client = FakeConfigClient("rate: 5\n")
        live, registry = _following(client, every=0.01)
        await live.follow(cast(Any, client))
        assert live.current == Knobs(rate=5)
        client.text = None  # removed, and no push arrives (the SDK re-listening after a restart)
        for _ in range(200):
            if live.current == DEFAULTS:
                break
            await asyncio.sleep(0.01)
        assert live.current == DEFAULTS
        reads = client.reads
        await asyncio.sleep(0.1)
        await live.close()
        assert client.reads > reads and _applied(registry) == 2.0  # read again and again, applied once

    asyncio.run(run())


def test_the_same_text_by_push_or_read_is_applied_once() -> None:
    async def run() -> None:
        client = FakeConfigClient(None)
        live, registry = _following(client)
        await live.follow(cast(Any, client))
        await client.push("rate: 5\n")
        await live.reread()
        await client.push("rate: 5\n")
        await live.close()
        assert live.current == Knobs(rate=5) and _applied(registry) == 2.0

    asyncio.run(run())


def test_a_read_answered_late_does_not_undo_a_newer_push() -> None:
    async def run() -> None:
        client = FakeConfigClient("rate: 5\n")
        live, _ = _following(client)
        await live.follow(cast(Any, client))
        client.answer_late = asyncio.Event()
        reading = asyncio.create_task(live.reread())  # reads "rate: 5" ...
        await asyncio.sleep(0)
        pushed = asyncio.create_task(client.push("rate: 9\n"))  # ... a newer entry is pushed meanwhile
        await asyncio.sleep(0)
        client.answer_late.set()
        await asyncio.gather(reading, pushed)
        await live.close()
        assert live.current == Knobs(rate=9)

    asyncio.run(run())


def test_an_entry_unreadable_at_start_is_applied_once_nacos_answers() -> None:
    async def run() -> None:
        client = FakeConfigClient("rate: 5\n")
        client.away = True
        live, _ = _following(client)
        await live.follow(cast(Any, client))
        assert live.current == DEFAULTS  # the environment's values meanwhile
        await live.reread()
        assert live.current == DEFAULTS
        client.away = False
        await live.reread()
        await live.close()
        assert live.current == Knobs(rate=5)

    asyncio.run(run())


def test_an_answer_from_the_sdks_cache_changes_nothing() -> None:
    """nacos-sdk-python 3.2 answers get_config from its local cache, when the server refuses, as a
    (content, key) tuple: not an entry's text."""

    async def run() -> None:
        client = FakeConfigClient("rate: 5\n")
        live, registry = _following(client)
        await live.follow(cast(Any, client))
        client.text = cast(Any, ("rate: 5\n", ""))
        await live.reread()
        await live.close()
        assert live.current == Knobs(rate=5) and _applied(registry) == 1.0

    asyncio.run(run())
