"""Entry point of the `ocr-mesh` console script.

Each command group is a `register(subparsers)` function that adds its subcommands, published
as an entry point of the group `ocr_mesh.commands` (pyproject.toml). A group whose packages are
not installed in this environment (a role without the tools extra) is left out.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import EntryPoint, entry_points

from mesh_tools.launcher.procs import LaunchError

COMMAND_GROUP = "ocr_mesh.commands"
HELP_ORDER = ("mesh", "users", "eval", "loadtest")  # how --help lists them; others follow by name


def command_groups() -> list[EntryPoint]:
    """The installed command groups, in help order."""
    groups = entry_points(group=COMMAND_GROUP)
    rank = {name: i for i, name in enumerate(HELP_ORDER)}
    return sorted(groups, key=lambda g: (rank.get(g.name, len(rank)), g.name))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocr-mesh", description="OCR Mesh: Nacos + gateway + user and OCR services"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    groups = command_groups()
    if not groups:
        parser.error("no commands are installed: run scripts/bootstrap (pip install -e .)")
    for group in groups:
        try:
            register = group.load()
        except ModuleNotFoundError as exc:
            if exc.name is not None and not exc.name.startswith("mesh"):
                continue  # a third-party package of another role's extra is not installed here
            raise
        register(sub)
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
