"""`ocr-mesh up`, `down`, `rollout` and `nacos`: run the mesh on this machine."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path
from typing import Any

from mesh.names import OCR_SERVICE, USER_SERVICE
from mesh_tools.launcher.launcher import Launcher
from mesh_tools.launcher.rollout import rollout
from mesh_tools.monitoring.prometheus import Monitor


def launcher_from_env() -> Launcher:
    """The launcher for OCR_MESH_DATA_DIR, OCR_MESH_NACOS_PORT and OCR_MESH_NACOS_KIND."""
    return Launcher(
        Path(os.environ.get("OCR_MESH_DATA_DIR", ".data")),
        nacos_port=int(os.environ.get("OCR_MESH_NACOS_PORT", "8848")),
    )


def cmd_up(args: argparse.Namespace) -> int:
    launcher = launcher_from_env()
    monitor = args.monitor if args.monitor is not None else Monitor.installed()
    if not monitor and args.monitor is None:
        print("monitoring off: prometheus is not installed (scripts/bootstrap installs it)")
    procs = launcher.up(args.ocr, args.users, args.port, monitor=monitor)
    for p in procs:
        print(f"  {p.service:<13} :{p.port}  pid {p.pid}  log {p.log}")
    print(f"OCR Mesh is ready: http://{launcher.host}:{args.port}/")
    if args.detach:
        print("running in the background; `ocr-mesh down` stops it")
        return 0
    print("press Ctrl-C to stop")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    print("stopping…")
    for line in launcher.down():
        print(f"  {line}")
    return 0


def cmd_down(_: argparse.Namespace) -> int:
    for line in launcher_from_env().down():
        print(line)
    return 0


def cmd_rollout(args: argparse.Namespace) -> int:
    replaced = rollout(launcher_from_env(), args.service, settle=args.settle)
    print(f"rolled out {len(replaced)} {args.service} instance(s)")
    return 0


def cmd_nacos(args: argparse.Namespace) -> int:
    server = launcher_from_env().nacos
    action = {"start": server.start, "stop": server.stop, "status": server.status}[args.action]
    print(action())
    return 0 if args.action != "status" or server.running_pid() else 1


def register(sub: Any) -> None:
    up = sub.add_parser("up", help="start Nacos (if needed), the services and the gateway")
    up.add_argument("--ocr", type=int, default=2, help="number of ocr-service instances (default 2)")
    up.add_argument("--users", type=int, default=1, help="number of user-service instances (default 1)")
    up.add_argument("--port", type=int, default=8080, help="gateway port (default 8080)")
    up.add_argument(
        "--monitor",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start Prometheus beside the mesh (default: on when prometheus is installed)",
    )
    up.add_argument("--detach", action="store_true", help="return once ready and leave it running")
    up.set_defaults(func=cmd_up)

    down = sub.add_parser("down", help="stop what `up` started")
    down.set_defaults(func=cmd_down)

    roll = sub.add_parser(
        "rollout", help="replace a service's instances one by one with new ones (no failed request)"
    )
    roll.add_argument("service", choices=[OCR_SERVICE, USER_SERVICE])
    roll.add_argument(
        "--settle", type=float, default=3.0, help="seconds a new instance is listed before the old stops"
    )
    roll.set_defaults(func=cmd_rollout)

    nacos = sub.add_parser("nacos", help="run the local Nacos server (start, stop, status)")
    nacos.add_argument("action", choices=["start", "stop", "status"])
    nacos.set_defaults(func=cmd_nacos)
