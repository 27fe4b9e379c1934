"""`python -m mesh_tools.monitoring`: run the Nacos → Prometheus discovery bridge."""

from __future__ import annotations

import logging

import uvicorn

from mesh_tools.monitoring.targets import TargetSettings, create_app


def main() -> None:
    settings = TargetSettings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
