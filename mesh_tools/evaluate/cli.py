"""`ocr-mesh eval <folder>`: accuracy of the service path next to a plain PaddleOCR call."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from mesh_tools.evaluate.report import as_json, table
from mesh_tools.evaluate.runner import ItemResult, direct_reader, load_items, run, service_reader
from ocr_service.config import OcrSettings

PATHS = ("service", "direct")


def register(subparsers: Any) -> None:
    """Add the `eval` command."""
    parser = subparsers.add_parser(
        "eval",
        help="score OCR accuracy (CER, line recall) on a labelled folder",
        description="Read every image of FOLDER/labels.jsonl through the OCR service code path "
        "(in process) and through a plain PaddleOCR call, and print CER and line recall side by side.",
    )
    parser.add_argument("folder", type=Path, help="folder with labels.jsonl and the images")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also save the results as JSON")
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS), help="which paths to run")
    parser.add_argument(
        "--engine", choices=("paddle", "rapidocr"), default="paddle", help="the OCR engine of both paths"
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    if not (folder / "labels.jsonl").is_file():
        print(f"ocr-mesh eval: {folder / 'labels.jsonl'} not found", file=sys.stderr)
        return 2
    logging.getLogger("httpx").setLevel(logging.WARNING)
    items = load_items(folder)
    runs: dict[str, list[ItemResult]] = {}
    for name in args.paths:
        what = f"reading {len(items)} images through the {name} path ({args.engine}) ..."
        print(what, file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="ocr-eval-") as tmp:
            settings = OcrSettings(
                data_dir=Path(tmp), nacos_enabled=False, require_token=False, engine=args.engine
            )
            with service_reader(settings) if name == "service" else direct_reader(settings) as reader:
                runs[name] = run(items, folder, reader)
    print(table(runs))
    if args.json is not None:
        args.json.write_text(json.dumps(as_json(runs, str(folder)), ensure_ascii=False, indent=1), "utf-8")
        print(f"saved {args.json}", file=sys.stderr)
    return 0
