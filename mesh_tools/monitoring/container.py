"""The Prometheus container's entry point: write the same config `ocr-mesh up` writes, then exec
Prometheus (docker-compose.yml, service `prometheus`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from mesh_tools.monitoring.prometheus import server_args, write_config


def main() -> None:
    data = Path(os.environ.get("OCR_MESH_DATA_DIR", "/data"))
    targets = os.environ.get("OCR_MESH_TARGETS_URL", "http://mesh-targets:9095/targets")
    config = write_config(data / "prometheus.yml", targets)
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    os.execv(binary, server_args(binary, config, data / "tsdb", "0.0.0.0:9090", "7d"))


if __name__ == "__main__":
    main()
