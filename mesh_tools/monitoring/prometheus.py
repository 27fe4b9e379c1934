"""A real Prometheus server for one local mesh: the discovery bridge, its config and the binary.

Debian's `prometheus` package provides the binary (scripts/bootstrap installs it). The config is
written on each start into `<data>/prometheus/`; targets come from the bridge, which lists what
Nacos lists, so nothing in it names an instance.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from mesh_tools.launcher.procs import LaunchError, next_free_port, read_pid, spawn, stop_pid, wait_http

RULES = Path(__file__).resolve().parent / "rules.yml"
# A new instance becomes a target within ~6 s (1 s refresh + Prometheus applies discovery changes
# every 5 s), so within one scrape interval.
SCRAPE_SECONDS = 10.0
TARGETS_REFRESH_SECONDS = 1.0


def prometheus_config(
    targets_url: str, rules: Path, *, scrape_seconds: float = SCRAPE_SECONDS, alertmanager: str = ""
) -> dict[str, Any]:
    """prometheus.yml as a dict: every Nacos-listed instance through `targets_url`, plus the bridge."""
    bridge = httpx.URL(targets_url)
    refresh = f"{TARGETS_REFRESH_SECONDS:g}s"
    config: dict[str, Any] = {
        "global": {"scrape_interval": f"{scrape_seconds:g}s", "evaluation_interval": f"{scrape_seconds:g}s"},
        "rule_files": [str(rules)],
        "scrape_configs": [
            {
                "job_name": "ocr-mesh",
                "http_sd_configs": [{"url": targets_url, "refresh_interval": refresh}],
            },
            {
                "job_name": "ocr-mesh-targets",
                "static_configs": [{"targets": [f"{bridge.host}:{bridge.port}"]}],
            },
        ],
    }
    if alertmanager:  # where alerts go besides Prometheus itself and the page (OCR_MESH_ALERTMANAGER)
        url = httpx.URL(alertmanager)
        config["alerting"] = {
            "alertmanagers": [
                {
                    "scheme": url.scheme,
                    "path_prefix": url.path,
                    "static_configs": [{"targets": [f"{url.host}:{url.port or 9093}"]}],
                }
            ]
        }
    return config


def write_config(path: Path, targets_url: str) -> Path:
    """prometheus.yml for these targets, alerts to OCR_MESH_ALERTMANAGER if set."""
    config = prometheus_config(targets_url, RULES, alertmanager=os.environ.get("OCR_MESH_ALERTMANAGER", ""))
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def server_args(binary: str, config_file: Path, data: Path, listen: str, retention: str) -> list[str]:
    """The Prometheus command line, the same for `ocr-mesh up` and the compose container."""
    return [
        binary,
        f"--config.file={config_file}",
        f"--storage.tsdb.path={data}",
        f"--storage.tsdb.retention.time={retention}",
        f"--web.listen-address={listen}",
    ]


@dataclass(frozen=True)
class Monitor:
    """Prometheus and the discovery bridge of one data folder; state under <data>/prometheus/."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 9090
    targets_port: int = 9095

    @property
    def home(self) -> Path:
        return self.data_dir / "prometheus"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @staticmethod
    def installed() -> bool:
        return shutil.which("prometheus") is not None

    def running(self) -> bool:
        return read_pid(self.home / "prometheus.pid") is not None

    def start(self, env: dict[str, str], timeout: float = 60.0) -> Monitor:
        """Start the bridge (with the mesh's `env`) and Prometheus on these ports or the next free
        ones; answer the ones used."""
        binary = shutil.which("prometheus")
        if binary is None:
            raise LaunchError("prometheus is not installed (scripts/bootstrap installs Debian's package)")
        used = Monitor(
            self.data_dir,
            self.host,
            next_free_port(self.host, self.port),
            next_free_port(self.host, self.targets_port),
        )
        used._start(binary, env | {"OCR_MESH_PORT": str(used.targets_port)}, timeout)
        return used

    def _start(self, binary: str, env: dict[str, str], timeout: float) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        bridge_log = self.home / "targets.log"
        bridge = spawn(
            [sys.executable, "-m", "mesh_tools.monitoring"],
            log=bridge_log,
            pid_file=self.home / "targets.pid",
            env=env,
        )
        wait_http(f"http://{self.host}:{self.targets_port}/health", timeout, bridge, bridge_log)
        config = write_config(self.home / "prometheus.yml", f"http://{self.host}:{self.targets_port}/targets")
        args = server_args(binary, config, self.home / "tsdb", f"{self.host}:{self.port}", "2d")
        log = self.home / "prometheus.log"
        proc = spawn(args, log=log, pid_file=self.home / "prometheus.pid", env=env)
        wait_http(f"{self.url}/-/ready", timeout, proc, log)

    def stop(self) -> list[str]:
        said = []
        for name in ("prometheus", "targets"):
            pid = read_pid(self.home / f"{name}.pid")
            if pid is not None:
                stop_pid(pid, timeout=15.0)
                said.append(f"stopped {'Prometheus' if name == 'prometheus' else 'the discovery bridge'}")
            (self.home / f"{name}.pid").unlink(missing_ok=True)
        return said
