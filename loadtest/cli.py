"""`ocr-mesh loadtest` (the sweep) and `ocr-mesh report` (Markdown + HTML from its results)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from loadtest.image import KINDS
from loadtest.runner import Load
from mesh_tools.nacos_server.server import DEFAULT_KIND


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _cell(text: str) -> tuple[int, int, int]:
    parts = _ints(text)
    if len(parts) != 3:
        raise argparse.ArgumentTypeError("expected OCR,USERS,CONCURRENCY, e.g. 2,1,8")
    return parts[0], parts[1], parts[2]


def register(subparsers: Any) -> None:
    """Add the `loadtest` and `report` commands."""
    p = subparsers.add_parser(
        "loadtest",
        help="sweep OCR instances × user-service instances × concurrency through the gateway",
        description="Start a mesh (Nacos, gateway, services) on free ports, measure the raw PaddleOCR "
        "limit, then for each cell rescale the mesh, warm up and load the gateway. Each finished cell "
        "is written to OUT at once; Ctrl-C or SIGTERM stops cleanly.",
    )
    p.add_argument("--ocr", type=_ints, default=[1, 2], help="OCR instance counts, e.g. 1,2,3")
    p.add_argument("--users", type=_ints, default=[1], help="user-service instance counts, e.g. 1,2")
    p.add_argument("--concurrency", type=_ints, default=[1, 4, 16], help="closed loop: clients per cell")
    p.add_argument("--mode", choices=("closed", "open"), default="closed")
    p.add_argument("--rate", type=_floats, default=[2.0], help="open loop: arrivals per second, e.g. 2,4,8")
    p.add_argument("--max-in-flight", type=int, default=256, help="open loop: bound on requests in flight")
    end = p.add_mutually_exclusive_group()
    end.add_argument("--duration", type=float, default=20.0, help="measured seconds per cell")
    end.add_argument("--requests", type=int, help="measured requests per cell (instead of --duration)")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring")
    p.add_argument("--timeout", type=float, default=120.0, help="client timeout per request")
    p.add_argument("--image", type=Path, action="append", default=[], help="image to send (repeatable)")
    p.add_argument(
        "--kind",
        choices=KINDS,
        default="card",
        help="without --image: a rendered 900x420 card, a 300 dpi A4 scan or a 12 MP phone photo",
    )
    p.add_argument(
        "--scenario", choices=("ocr", "mixed"), default="ocr", help="mixed: one login per 10 OCR requests"
    )
    p.add_argument(
        "--physical-seconds",
        type=float,
        default=20.0,
        help="measured seconds of the raw-library limit runs (0 skips them)",
    )
    p.add_argument(
        "--compare-locust",
        type=_cell,
        metavar="OCR,USERS,C",
        help="also run Locust on this cell and save both figures side by side",
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument(
        "--compose",
        type=Path,
        nargs="?",
        const=Path("."),
        metavar="DIR",
        help="drive the Docker Compose project in DIR (default: here): `docker compose up -d --scale` "
        "sets each cell's OCR and user-service replicas; the gateway is --gateway-url (default :8080)",
    )
    target.add_argument("--no-rescale", action="store_true", help="with --gateway-url: measure it as it is")
    p.add_argument("--gateway-url", help="a running gateway (with --compose or --no-rescale)")
    p.add_argument("--nacos-kind", default=DEFAULT_KIND, help="which local Nacos server to run")
    p.add_argument("--nacos-port", type=int, help="Nacos main port (default: first free from 8848)")
    p.add_argument("--data-dir", type=Path, help="mesh data and logs (default: a new temp folder)")
    p.add_argument(
        "--out", type=Path, help="results folder (default: report/KIND/data; with --image report/custom/data)"
    )
    p.add_argument(
        "--monitor", action="store_true", help="start Prometheus beside the mesh; keep its series per cell"
    )
    p.add_argument("--prometheus", help="keep each cell's series from this Prometheus (e.g. the compose one)")
    p.set_defaults(func=loadtest_main)

    r = subparsers.add_parser("report", help="Markdown + HTML report with charts from load-test results")
    r.add_argument("--results", type=Path, default=Path("report/card/data"), help="folder `loadtest` wrote")
    r.add_argument(
        "--out", type=Path, help="where report.md/html and charts go (default: the folder above RESULTS)"
    )
    r.add_argument(
        "--recompute", action="store_true", help="first recompute the cells' figures from requests.csv"
    )
    r.set_defaults(func=report_main)


def loadtest_main(args: argparse.Namespace) -> int:
    from loadtest.sweep import SweepConfig, main_sweep

    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.mode == "open":
        levels = args.rate
        concurrency = args.max_in_flight
    else:
        levels = [float(c) for c in args.concurrency]
        concurrency = max(args.concurrency)
    if args.no_rescale and not args.gateway_url:
        print(
            "ocr-mesh loadtest: --no-rescale measures a running gateway: give --gateway-url", file=sys.stderr
        )
        return 2
    if args.gateway_url and not (args.compose or args.no_rescale):
        print("ocr-mesh loadtest: --gateway-url needs --compose or --no-rescale", file=sys.stderr)
        return 2
    if not args.ocr or not args.users or not levels or min(args.ocr + args.users) < 1 or min(levels) <= 0:
        print("ocr-mesh loadtest: counts and load levels must be positive", file=sys.stderr)
        return 2
    load = Load(
        mode=args.mode,
        concurrency=concurrency,
        warmup=args.warmup,
        duration=None if args.requests else args.duration,
        requests=args.requests,
        scenario=args.scenario,
        timeout=args.timeout,
    )
    cfg = SweepConfig(
        ocr=args.ocr,
        users=args.users,
        levels=levels,
        load=load,
        out=args.out or Path("report") / ("custom" if args.image else args.kind) / "data",
        images=args.image,
        kind=args.kind,
        data_dir=args.data_dir,
        nacos_port=args.nacos_port,
        nacos_kind=args.nacos_kind,
        physical_seconds=args.physical_seconds,
        compare_locust=args.compare_locust,
        gateway_url=args.gateway_url,
        compose=args.compose,
        monitor=args.monitor,
        prometheus=args.prometheus,
    )
    return main_sweep(cfg)


def report_main(args: argparse.Namespace) -> int:
    from loadtest.report.build import build_report

    try:
        if args.recompute:
            from loadtest.results import recompute

            print(f"recomputed {recompute(args.results)} cells from {args.results / 'requests.csv'}")
        written = build_report(args.results, args.out or args.results.parent)
    except FileNotFoundError as exc:
        print(f"ocr-mesh report: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0
