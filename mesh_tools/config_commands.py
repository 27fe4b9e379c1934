"""`ocr-mesh config show|set|unset|history SERVICE`: a service's live settings in Nacos Config,
for people without the console. Values are checked against the service's model before they are
published, so a typo is refused here rather than by every running instance."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import yaml
from pydantic import BaseModel
from v2.nacos import ConfigParam, NacosConfigService

from gateway.config import GatewaySettings
from gateway.live import GatewayLive
from mesh.live_config import LiveConfigRefused, data_id, from_env, parse
from mesh.nacos_http import NacosApi, read_config_history, read_login
from mesh.nacos_sdk import open_config, shut_down
from mesh.names import GATEWAY, OCR_SERVICE
from mesh.settings import MeshSettings
from ocr_service.config import OcrSettings
from ocr_service.live import OcrLive

# The services that have live settings, and the model each checks them with.
MODELS: dict[str, tuple[type[BaseModel], BaseModel]] = {
    GATEWAY: (GatewayLive, from_env(GatewayLive, GatewaySettings(nacos_enabled=False))),
    OCR_SERVICE: (OcrLive, from_env(OcrLive, OcrSettings(nacos_enabled=False))),
}


@asynccontextmanager
async def _entry(
    settings: MeshSettings, service: str
) -> AsyncIterator[tuple[NacosConfigService, ConfigParam]]:
    """A config client for one command, and the service's entry."""
    client = await open_config(settings)
    try:
        yield client, ConfigParam(data_id=data_id(service), group=settings.nacos_group)
    finally:
        await shut_down(client)


async def _read(settings: MeshSettings, service: str) -> str:
    async with _entry(settings, service) as (client, param):
        return await client.get_config(param) or ""


async def _publish(settings: MeshSettings, service: str, text: str) -> None:
    async with _entry(settings, service) as (client, param):
        param.content = text
        if not await client.publish_config(param):
            raise RuntimeError("Nacos refused to publish the entry")


async def _remove(settings: MeshSettings, service: str) -> None:
    async with _entry(settings, service) as (client, param):
        await client.remove_config(param)


def show(settings: MeshSettings, service: str) -> str:
    """The entry's text ("" when there is none)."""
    return asyncio.run(_read(settings, service))


def updated(current: str, pairs: list[str], service: str) -> str:
    """The entry with KEY=VALUE pairs set (values read as YAML), checked against the model."""
    loaded = yaml.safe_load(current) if current.strip() else None
    entry: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise LiveConfigRefused(f"{pair!r} is not KEY=VALUE")
        entry[key.strip()] = yaml.safe_load(value)
    model, defaults = MODELS[service]
    text = yaml.safe_dump(entry, sort_keys=True, allow_unicode=True)
    parse(text, model, defaults)  # raises LiveConfigRefused with the reasons
    return text


def set_values(settings: MeshSettings, service: str, pairs: list[str]) -> str:
    """Set KEY=VALUE pairs over the current entry; the text published."""
    text = updated(show(settings, service), pairs, service)
    asyncio.run(_publish(settings, service, text))
    return text


def unset(settings: MeshSettings, service: str) -> None:
    asyncio.run(_remove(settings, service))


def history(settings: MeshSettings, service: str) -> list[str]:
    """One line per change, newest first: when, what, from which address."""
    api = NacosApi.at(settings.nacos_addr.split(",")[0])
    with httpx.Client(timeout=10, trust_env=False) as http:
        username, password = settings.nacos_credentials()
        token = read_login(http.send(api.login(username, password))).token if password else ""
        changes = read_config_history(
            http.send(api.config_history(data_id(service), token, settings.nacos_group))
        )
    what = {"I": "created", "U": "updated", "D": "deleted"}
    return [
        f"{datetime.fromtimestamp(c.modified_ms / 1000, UTC):%Y-%m-%d %H:%M:%S} UTC  "
        f"{what.get(c.operation, c.operation):<8} from {c.source}"
        for c in changes
    ]


def cmd_config(args: argparse.Namespace) -> int:
    settings = MeshSettings()
    try:
        if args.action == "show":
            print(
                show(settings, args.service)
                or f"(no {data_id(args.service)} entry: the environment's values apply)"
            )
        elif args.action == "set":
            print(set_values(settings, args.service, args.pairs), end="")
        elif args.action == "unset":
            unset(settings, args.service)
            print(f"removed {data_id(args.service)}: the environment's values apply again")
        else:
            print("\n".join(history(settings, args.service)) or "(no changes recorded)")
    except LiveConfigRefused as exc:
        print(f"refused, nothing published: {exc}")
        return 2
    return 0


def register(sub: Any) -> None:
    config = sub.add_parser("config", help="show or change a service's live settings in Nacos Config")
    config.add_argument("action", choices=["show", "set", "unset", "history"])
    config.add_argument("service", choices=sorted(MODELS))
    config.add_argument("pairs", nargs="*", metavar="KEY=VALUE", help="for set: e.g. rate_per_user=5")
    config.set_defaults(func=cmd_config)
