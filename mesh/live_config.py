"""Settings changed without a restart: one Nacos Config entry per service, YAML, over its env.

A service describes its live keys as a pydantic model (unknown keys and wrong types refused),
starts from its environment's values, and listens to its entry (data id `<service>.yaml` in the
mesh's group). An entry that does not parse or validate is refused whole: the last good
settings stay in force, and the refusal is logged and counted. A deleted or empty entry means
the environment's values again. Nacos being away changes nothing: the last good settings stay.

Besides the SDK's push, the entry is read again every RESYNC_EVERY seconds: nacos-sdk-python
3.2 can lose a change made while its client re-listens after a Nacos restart, and would only
find it at its own full sync, 5 minutes later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import yaml
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, ValidationError
from v2.nacos import ConfigParam, NacosConfigService

from mesh.nacos_sdk import listen, open_config, shut_down
from mesh.settings import MeshSettings

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
RESYNC_EVERY = 10.0  # s between reads of the entry beside the push
_UNREAD = object()  # no text seen yet


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
        resync_every: float = RESYNC_EVERY,
    ) -> None:
        self.data_id, self.group = data_id(service), group
        self._model, self._defaults = model, defaults
        self._on_change = on_change
        self._metrics = metrics
        self._resync_every = resync_every
        self.current = defaults
        self._client: NacosConfigService | None = None
        self._text: object = _UNREAD  # the entry's text last applied or refused
        self._one_at_a_time = asyncio.Lock()  # a read answered late must not undo a newer push
        self._resync: asyncio.Task[None] | None = None

    def apply_text(self, text: str | None) -> bool:
        """Apply an entry's text; False (and the last good settings kept) when it is refused."""
        self._text = text
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
            client = await open_config(settings)
        except Exception as exc:  # the SDK raises bare Exceptions
            log.warning("no live settings from Nacos Config (%s); the environment's stay", exc)
            return
        await self.follow(client)

    async def follow(self, client: NacosConfigService) -> None:
        """Read the entry through an open client, listen to it, and read it again now and then."""
        self._client = client
        try:
            await listen(client, self.data_id, self.group, self._changed)
            async with self._one_at_a_time:
                text = await client.get_config(self._param())
                if self._text is _UNREAD:  # else a push came first
                    self.apply_text(text)
        except Exception as exc:  # the SDK raises bare Exceptions; the next read may do
            log.warning("no live settings from Nacos Config yet (%s); the environment's stay", exc)
        self._resync = asyncio.create_task(self._keep_in_step(), name=f"resync {self.data_id}")

    async def reread(self) -> None:
        """Read the entry again and apply it when its text changed."""
        if self._client is None:
            return
        async with self._one_at_a_time:
            try:
                text = await self._client.get_config(self._param())
            except Exception as exc:  # Nacos away: the last good settings stay
                log.debug("could not read %s again: %s", self.data_id, exc)
                return
            if not isinstance(text, str | None):  # the SDK's answer from its local cache is a tuple
                return
            if text != self._text:
                log.info("the Nacos Config entry %s changed without a push", self.data_id)
                self.apply_text(text)

    async def close(self) -> None:
        if self._resync is not None:
            self._resync.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._resync
            self._resync = None
        if self._client is not None:
            await shut_down(self._client)
            self._client = None

    async def _keep_in_step(self) -> None:
        while True:
            await asyncio.sleep(self._resync_every)
            try:
                await self.reread()
            except Exception:  # never end the loop: the next read may do
                log.exception("reading %s again failed", self.data_id)

    async def _changed(self, _tenant: str, _group: str, _data_id: str, content: str | None) -> None:
        async with self._one_at_a_time:
            if content != self._text:
                self.apply_text(content)

    def _param(self) -> ConfigParam:
        return ConfigParam(data_id=self.data_id, group=self.group)
