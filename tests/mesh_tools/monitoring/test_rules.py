"""The shipped rules load in Prometheus' own checker and fire as their unit tests say."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from mesh_tools.monitoring.prometheus import RULES

HERE = Path(__file__).parent


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: scripts/bootstrap installs Debian's prometheus package"
    return subprocess.run([tool, *args], cwd=HERE, capture_output=True, text=True, timeout=120)


def test_the_rules_file_is_valid() -> None:
    done = promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_alerts_fire_as_their_unit_tests_expect() -> None:
    done = promtool("test", "rules", "rules_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
