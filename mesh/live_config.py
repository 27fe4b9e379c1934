"""Settings changed without a restart: one Nacos Config entry per service, YAML, over its env.

A service describes its live keys as a pydantic model (unknown keys and wrong types refused),
starts from its environment's values, and listens to its entry (data id `<service>.yaml` in the
mesh's group). An entry that does not parse or validate is refused whole: the last good
settings stay in force, and the refusal is logged and counted. A deleted or empty entry means
the environment's values again. Nacos being away changes nothing: the last good settings stay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import yaml
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, ValidationError
from v2.nacos import ConfigParam, NacosConfigService

from mesh.nacos_sdk import open_config, shut_down
from mesh.settings import MeshSettings

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


def data_id(service: str) -> str:
    """The Nacos Config data id holding a service's live settings."""
    return f"{service}.yaml"


class LiveConfigRefused(ValueError):
    """An entry that does not parse, or whose values the model refuses."""


class LiveConfigMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.updates = Counter(
            "live_config_updates_total",
            "Nacos Config entries received, by outcome (applied, refused)",
            ["outcome"],
            registry=registry,
        )


def from_env(model: type[M], settings: BaseModel) -> M:
    """The model filled from the service's settings (its environment): what applies until, and
    unless, Nacos Config says otherwise. Keys the settings lack keep the model's own default."""
    fields = type(settings).model_fields
    return model.model_validate(
        {name: getattr(settings, name) for name in model.model_fields if name in fields}
    )


def parse(text: str | None, model: type[M], defaults: M) -> M:
    """The settings an entry's text gives: its keys over the defaults, validated whole."""
    if not text or not text.strip():
        return defaults
    try:
        loaded: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LiveConfigRefused(f"not YAML: {exc}") from None
    if loaded is None:
        return defaults
    if not isinstance(loaded, dict):
        raise LiveConfigRefused("not a mapping of settings")
    try:
        return model.model_validate({**defaults.model_dump(), **loaded})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise LiveConfigRefused(problems) from None


class LiveConfig(Generic[M]):
    """A service's live settings: the current good ones, and who to tell when they change."""

    def __init__(
        self,
        service: str,
        group: str,
        model: type[M],
        defaults: M,
        on_change: Callable[[M], None],
        metrics: LiveConfigMetrics,
    ) -> None:
        self.data_id, self.group = data_id(service), group
        self._model, self._defaults = model, defaults
        self._on_change = on_change
        self._metrics = metrics
        self.current = defaults
        self._client: NacosConfigService | None = None

    def apply_text(self, text: str | None) -> bool:
        """Apply an entry's text; False (and the last good settings kept) when it is refused."""
        try:
            settings = parse(text, self._model, self._defaults)
        except LiveConfigRefused as exc:
            self._metrics.updates.labels("refused").inc()
            log.warning(
                "refused the Nacos Config entry %s: %s; keeping the last good settings", self.data_id, exc
            )
            return False
        self._metrics.updates.labels("applied").inc()
        if settings != self.current:
            changed = {k: v for k, v in settings.model_dump().items() if getattr(self.current, k) != v}
            self.current = settings
            self._on_change(settings)
            log.info("applied the Nacos Config entry %s: %s", self.data_id, changed)
        return True

    async def connect(self, settings: MeshSettings) -> None:
        """Read the entry now (if any) and follow its changes; when Nacos Config cannot be read,
        the environment's values stay."""
        try:
            self._client = await open_config(settings)
            self.apply_text(
                await self._client.get_config(ConfigParam(data_id=self.data_id, group=self.group))
            )
            await self._client.add_listener(self.data_id, self.group, self._changed)
        except Exception as exc:  # the SDK raises bare Exceptions
            log.warning("no live settings from Nacos Config (%s); the environment's stay", exc)

    async def close(self) -> None:
        if self._client is not None:
            await shut_down(self._client)
            self._client = None

    async def _changed(self, _tenant: str, _group: str, _data_id: str, content: str | None) -> None:
        self.apply_text(content)
