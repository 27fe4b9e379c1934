"""Entry point of the `ocr-mesh` console script."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from mesh.cli.launcher import Launcher
from mesh.cli.nacos import DEFAULT_KIND
from mesh.cli.procs import LaunchError


def _data_dir() -> Path:
    return Path(os.environ.get("OCR_MESH_DATA_DIR", ".data"))


def _nacos_port() -> int:
    return int(os.environ.get("OCR_MESH_NACOS_PORT", "8848"))


def _launcher() -> Launcher:
    kind = os.environ.get("OCR_MESH_NACOS_KIND", DEFAULT_KIND)
    return Launcher(_data_dir(), nacos_port=_nacos_port(), nacos_kind=kind)


def cmd_up(args: argparse.Namespace) -> int:
    launcher = _launcher()
    procs = launcher.up(args.ocr, args.users, args.port)
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
    for line in _launcher().down():
        print(line)
    return 0


def cmd_nacos(args: argparse.Namespace) -> int:
    server = _launcher().nacos
    action = {"start": server.start, "stop": server.stop, "status": server.status}[args.action]
    print(action())
    return 0 if args.action != "status" or server.running_pid() else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocr-mesh", description="OCR Mesh: Nacos + gateway + user and OCR services"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start Nacos (if needed), the services and the gateway")
    up.add_argument("--ocr", type=int, default=2, help="number of ocr-service instances (default 2)")
    up.add_argument("--users", type=int, default=1, help="number of user-service instances (default 1)")
    up.add_argument("--port", type=int, default=8080, help="gateway port (default 8080)")
    up.add_argument("--detach", action="store_true", help="return once ready and leave it running")
    up.set_defaults(func=cmd_up)

    down = sub.add_parser("down", help="stop what `up` started")
    down.set_defaults(func=cmd_down)

    nacos = sub.add_parser("nacos", help="run the local Nacos server")
    nacos.add_argument("action", choices=["start", "stop", "status"])
    nacos.set_defaults(func=cmd_nacos)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except LaunchError as exc:
        print(f"ocr-mesh: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
