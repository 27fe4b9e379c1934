"""One sweep cell measured again by Locust (headless), beside our own figures."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from loadtest.runner import Credentials, Load

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
OURS = ("throughput", "mean", "p50", "p90", "p95", "p99", "max", "failure_rate", "requests")


def compare_with_locust(
    url: str,
    accounts: list[Credentials],
    image: tuple[str, bytes],
    cell: str,
    load: Load,
    users: int,
    ours: dict[str, Any],
    out: Path,
) -> dict[str, Any]:
    """Run Locust with `users` users for the cell's duration; both tools' figures side by side."""
    folder = out / "locust"
    folder.mkdir(parents=True, exist_ok=True)
    image_path = folder / image[0]
    image_path.write_bytes(image[1])
    seconds = round(load.duration or 20.0)
    env = os.environ | {
        "OCR_MESH_LOADTEST_IMAGE": str(image_path),
        "OCR_MESH_LOADTEST_ACCOUNTS": json.dumps([[a.username, a.password] for a in accounts]),
        "PYTHONPATH": str(LOCUSTFILE.parent.parent),
    }
    args = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        url,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--reset-stats",
        "--only-summary",
        "--csv",
        str(folder / cell),
        "--exit-code-on-error",
        "0",
        "--loglevel",
        "WARNING",
    ]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False)
    (folder / f"{cell}.log").write_text(done.stdout + done.stderr)
    stats = _ocr_row(folder / f"{cell}_stats.csv")
    return {
        "cell": cell,
        "users": users,
        "seconds": seconds,
        "exit_code": done.returncode,
        "command": " ".join(args),
        "ours": {k: ours.get(k) for k in OURS},
        "locust": stats,
    }


def _ocr_row(path: Path) -> dict[str, float] | None:
    """Locust's /api/ocr row, converted to our units (seconds, successes per second)."""
    if not path.exists():
        return None
    with path.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("Name") == "/api/ocr"]
    if not rows:
        return None
    r = rows[0]
    ms = 1000.0
    total, failed = float(r["Request Count"]), float(r["Failure Count"])
    return {
        "requests": total,
        "failure_rate": failed / total if total else 0.0,
        "throughput": float(r["Requests/s"]) - float(r["Failures/s"]),
        "mean": float(r["Average Response Time"]) / ms,
        "p50": float(r["50%"]) / ms,
        "p90": float(r["90%"]) / ms,
        "p95": float(r["95%"]) / ms,
        "p99": float(r["99%"]) / ms,
        "max": float(r["100%"]) / ms,
    }
