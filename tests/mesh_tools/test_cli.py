"""The `ocr-mesh` command finds its subcommands through entry points, in a stable order."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mesh_tools.cli import COMMAND_GROUP, build_parser, command_groups, main

COMMANDS = ["up", "down", "rollout", "nacos", "users", "eval", "loadtest", "report", "config"]


def test_every_command_group_is_an_installed_entry_point() -> None:
    assert [g.name for g in command_groups()] == ["mesh", "users", "eval", "loadtest", "config"]
    assert all(g.group == COMMAND_GROUP for g in command_groups())


def test_the_parser_offers_every_command_in_help_order() -> None:
    sub = build_parser()._subparsers
    assert sub is not None
    choices = sub._group_actions[0].choices
    assert choices is not None and list(choices) == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert f"usage: ocr-mesh {command}" in capsys.readouterr().out


def test_an_unknown_command_is_refused_with_the_list() -> None:
    args = [sys.executable, "-m", "mesh_tools", "bogus"]
    run = subprocess.run(args, capture_output=True, text=True, check=False)
    assert run.returncode == 2
    assert "invalid choice: 'bogus'" in run.stderr and "'loadtest'" in run.stderr


class _Group:
    """An entry point whose module needs a package this environment lacks."""

    def __init__(self, name: str, missing: str) -> None:
        self.name, self.missing = name, missing

    def load(self) -> object:
        raise ModuleNotFoundError(f"No module named {self.missing!r}", name=self.missing)


def test_a_group_whose_extra_is_not_installed_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    real = command_groups()
    monkeypatch.setattr("mesh_tools.cli.command_groups", lambda: [*real, _Group("bench", "locust")])
    sub = build_parser()._subparsers
    assert sub is not None and list(sub._group_actions[0].choices or []) == COMMANDS


def test_a_broken_module_of_our_own_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mesh_tools.cli.command_groups", lambda: [_Group("bad", "mesh_tools.nowhere")])
    with pytest.raises(ModuleNotFoundError):
        build_parser()
