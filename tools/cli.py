"""Entry point of the `ocr-mesh` console script.

Each command group lives in its own module with a `register(subparsers)` function that adds
its subcommands; COMMAND_MODULES lists them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tools.launcher.procs import LaunchError

COMMAND_MODULES = (
    "tools.launcher.commands",
    "user_service.cli",
    "tools.evaluate.cli",
    "loadtest.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocr-mesh", description="OCR Mesh: Nacos + gateway + user and OCR services"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # a command group that is not part of this checkout yet
            raise
        module.register(sub)
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
