"""Publish a service's Nacos Config entry as an operator would, with the Nacos SDK."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from v2.nacos import ConfigParam

from mesh.live_config import data_id
from mesh.nacos_sdk import open_config, shut_down
from mesh.names import GATEWAY, NACOS_GROUP
from mesh.settings import MeshSettings
from mesh_tools.launcher.launcher import Launcher


def nacos_settings(launcher: Launcher) -> MeshSettings:
    nacos = launcher.nacos
    return MeshSettings(data_dir=launcher.data_dir, nacos_addr=f"{nacos.host}:{nacos.port}")


def publish_entry(launcher: Launcher, content: str | None, service: str = GATEWAY) -> None:
    """Publish the entry (None: delete it)."""

    async def send() -> None:
        client = await open_config(nacos_settings(launcher))
        try:
            param = ConfigParam(data_id=data_id(service), group=NACOS_GROUP, content=content or "")
            if content is None:
                await client.remove_config(param)
            else:
                assert await client.publish_config(param)
        finally:
            await shut_down(client)

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, send()).result()
