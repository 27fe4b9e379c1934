"""The Prometheus config the launcher writes: targets only from the bridge, alerts where asked."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from mesh_tools.monitoring.prometheus import RULES, prometheus_config


def test_the_only_instance_source_is_the_nacos_bridge() -> None:
    config = prometheus_config("http://127.0.0.1:9095/targets", RULES)
    mesh_job = config["scrape_configs"][0]
    assert mesh_job["http_sd_configs"][0]["url"] == "http://127.0.0.1:9095/targets"
    assert "static_configs" not in mesh_job
    assert config["rule_files"] == [str(RULES)]
    assert "alerting" not in config


def test_an_alertmanager_url_adds_it_as_the_alert_receiver() -> None:
    config = prometheus_config(
        "http://127.0.0.1:9095/targets", RULES, alertmanager="http://am.example:9093/am"
    )
    manager = config["alerting"]["alertmanagers"][0]
    assert manager["static_configs"][0]["targets"] == ["am.example:9093"]
    assert manager["path_prefix"] == "/am"


def test_promtool_accepts_the_written_config(tmp_path: Path) -> None:
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(prometheus_config("http://127.0.0.1:9095/targets", RULES)))
    done = subprocess.run(
        ["promtool", "check", "config", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
