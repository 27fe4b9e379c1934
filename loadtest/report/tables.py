"""The report's tables, as header + rows of strings."""

from __future__ import annotations

import math
from typing import Any

from loadtest.report.data import ROLE_ORDER, Cell, instance_names, num

Table = tuple[list[str], list[list[str]]]


def fmt(value: Any, digits: int = 2) -> str:
    v = num(value)
    return "–" if math.isnan(v) else f"{v:.{digits}f}"


def machine_table(data: dict[str, Any]) -> Table:
    m = data["machine"]
    rows = [
        [
            "CPU",
            f"{m.get('cpu_model')} — {m.get('cores')} logical cores ({m.get('physical_cores')} physical)",
        ],
        ["memory", f"{m.get('memory_gb')} GB ({m.get('memory_available_gb_at_start')} GB free at start)"],
        ["load average at start", ", ".join(str(x) for x in m.get("load_average_at_start", []))],
        ["platform", str(m.get("platform"))],
        ["Python", str(m.get("python"))],
        *[[name, str(version)] for name, version in m.get("packages", {}).items()],
        ["Nacos server", str(m.get("nacos_kind"))],
        ["command", f"`{m.get('command')}`"],
    ]
    return ["", ""], rows


def config_table(data: dict[str, Any]) -> Table:
    c = data["config"]
    load = c.get("load", {})
    images = c.get("images", [])
    end = f"{load.get('duration')} s" if load.get("duration") else f"{load.get('requests')} requests"
    rows = [
        ["OCR instances", ", ".join(map(str, c.get("ocr", [])))],
        ["user-service instances", ", ".join(map(str, c.get("users", [])))],
        ["load levels", ", ".join(f"{x:g}" for x in c.get("levels", []))],
        ["mode / scenario", f"{load.get('mode')} loop / {load.get('scenario')}"],
        ["per cell", f"{load.get('warmup')} s warm-up, then {end} measured"],
        [
            "images",
            ", ".join(f"{n} ({b} bytes)" for n, b in zip(images, c.get("image_bytes", []), strict=False)),
        ],
        ["gateway env", ", ".join(f"{k}={v}" for k, v in c.get("gateway_env", {}).items())],
    ]
    return ["", ""], rows


def physical_table(data: dict[str, Any]) -> Table:
    head = [
        "when",
        "processes",
        "images/s",
        "images",
        "seconds",
        "CPU-s per image",
        "model load (s)",
        "other CPU%",
    ]
    rows = [
        [
            r.get("when") or "before the cells",
            str(r["processes"]),
            fmt(r["images_per_second"]),
            str(r["images"]),
            fmt(r["seconds"], 0),
            fmt(r["cpu_seconds_per_image"]),
            fmt(r["load_seconds"], 1),
            fmt(r.get("other_cpu_percent"), 0) + ("" if r.get("quiet", True) else " (busy: left out)"),
        ]
        for r in data.get("physical") or []
    ]
    return head, rows


def cells_table(cells: list[Cell]) -> Table:
    head = [
        "cell",
        "OCR",
        "users",
        "load",
        "requests",
        "ok",
        "failed %",
        "img/s",
        "mean s",
        "p50",
        "p90",
        "p95",
        "p99",
        "max",
    ]
    rows = []
    for c in cells:
        load = f"{c['concurrency']}" if c["mode"] == "closed" else f"{fmt(c['rate'], 1)}/s"
        rows.append(
            [
                c["cell"],
                str(c["ocr"]),
                str(c["users"]),
                load,
                str(c["requests"]),
                str(c["successes"]),
                fmt(100 * num(c["failure_rate"]), 1),
                fmt(c["throughput"]),
                fmt(c["mean"]),
                fmt(c["p50"]),
                fmt(c["p90"]),
                fmt(c["p95"]),
                fmt(c["p99"]),
                fmt(c["max"]),
            ]
        )
    return head, rows


def resources_table(cells: list[Cell]) -> Table:
    head = ["cell", *(f"{r} CPU%" for r in ROLE_ORDER), *(f"{r} RSS MB" for r in ROLE_ORDER[:-1])]
    rows = []
    for c in cells:
        res = c["resources"]
        rows.append(
            [
                c["cell"],
                *(fmt(res.get(r, {}).get("cpu_mean"), 0) for r in ROLE_ORDER),
                *(fmt(res.get(r, {}).get("rss_max_mb"), 0) for r in ROLE_ORDER[:-1]),
            ]
        )
    return head, rows


def failures_table(cells: list[Cell]) -> Table:
    rows = [
        [c["cell"], str(c["failures"]), ", ".join(f"{k} ×{v}" for k, v in c["failures_by_cause"].items())]
        for c in cells
        if c["failures"]
    ]
    return ["cell", "failed", "by cause (status/code)"], rows


def shares_table(cells: list[Cell]) -> Table:
    most = max((int(c["ocr"]) for c in cells), default=0)
    head = ["cell", *(f"ocr #{i}" for i in range(1, most + 1))]
    rows = []
    for c in cells:
        rename = instance_names(c)
        named = {rename[k]: v for k, v in c["share_by_instance"].items()}
        rows.append(
            [
                c["cell"],
                *(
                    fmt(100 * named[f"ocr #{i}"], 1) + "%" if f"ocr #{i}" in named else ""
                    for i in range(1, most + 1)
                ),
            ]
        )
    return head, rows


def locust_table(data: dict[str, Any]) -> Table:
    cmp = data.get("locust")
    if not cmp or not cmp.get("locust"):
        return [], []
    keys = ("throughput", "mean", "p50", "p90", "p95", "p99", "max", "failure_rate", "requests")
    rows = [[k, fmt(cmp["ours"].get(k), 3), fmt(cmp["locust"].get(k), 3)] for k in keys]
    return ["figure", "ocr-mesh loadtest", "Locust"], rows
