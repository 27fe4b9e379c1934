"""`ocr-mesh config show|set|unset|history SERVICE`: a service's live settings in Nacos Config,
for people without the console. Values are checked against the service's model before they are
published, so a typo is refused here rather than by every running instance."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import yaml
from pydantic import BaseModel
from v2.nacos import ConfigParam

from gateway.config import GatewaySettings
from gateway.live import GatewayLive
from mesh.live_config import LiveConfigRefused, data_id, parse
from mesh.nacos_http import NacosApi, read_config_history, read_login
from mesh.nacos_sdk import open_config, shut_down
from mesh.names import GATEWAY, OCR_SERVICE
from mesh.settings import MeshSettings
from ocr_service.config import OcrSettings
from ocr_service.live import OcrLive

# The services that have live settings, and the model each checks them with.
MODELS: dict[str, tuple[type[BaseModel], BaseModel]] = {
    GATEWAY: (GatewayLive, GatewayLive.from_settings(GatewaySettings(nacos_enabled=False))),
    OCR_SERVICE: (OcrLive, OcrLive.from_settings(OcrSettings(nacos_enabled=False))),
}


async def _with_client(
    settings: MeshSettings, service: str, content: str | None = None, *, delete: bool = False
) -> str:
    client = await open_config(settings)
    try:
        param = ConfigParam(data_id=data_id(service), group=settings.nacos_group, content=content or "")
        if delete:
            await client.remove_config(param)
            return ""
        if content is not None:
            if not await client.publish_config(param):
                raise RuntimeError("Nacos refused to publish the entry")
            return content
        return await client.get_config(param) or ""
    finally:
        await shut_down(client)


def show(settings: MeshSettings, service: str) -> str:
    """The entry's text ("" when there is none)."""
    return asyncio.run(_with_client(settings, service))


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
    text = updated(show(settings, service), pairs, service)
    return asyncio.run(_with_client(settings, service, text))


def unset(settings: MeshSettings, service: str) -> None:
    asyncio.run(_with_client(settings, service, delete=True))


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
