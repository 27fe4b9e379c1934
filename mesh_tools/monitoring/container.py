"""The Prometheus container's entry point: write the same config `ocr-mesh up` writes, then exec
Prometheus (docker-compose.yml, service `prometheus`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from mesh_tools.monitoring.prometheus import RULES, prometheus_config


def main() -> None:
    data = Path(os.environ.get("OCR_MESH_DATA_DIR", "/data"))
    targets = os.environ.get("OCR_MESH_TARGETS_URL", "http://mesh-targets:9095/targets")
    config = prometheus_config(targets, RULES, alertmanager=os.environ.get("OCR_MESH_ALERTMANAGER", ""))
    config_file = data / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    os.execv(
        binary,
        [
            binary,
            f"--config.file={config_file}",
            f"--storage.tsdb.path={data / 'tsdb'}",
            "--storage.tsdb.retention.time=7d",
            "--web.listen-address=0.0.0.0:9090",
        ],
    )


if __name__ == "__main__":
    main()
