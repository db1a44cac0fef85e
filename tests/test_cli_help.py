"""Every command and group of luckyctl explains itself: help text on each, and on every option and argument."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from luckyctl.cli.app import app


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the tree with its path of names, groups included."""
    yield path, command
    for name, child in sorted(getattr(command, "commands", {}).items()):
        yield from walk(child, (*path, name))


COMMANDS = list(walk(typer.main.get_command(app)))
IDS = [" ".join(path) or "luckyctl" for path, _command in COMMANDS]


def test_the_tree_holds_the_read_commands() -> None:
    assert {("roadmap", "graph"), ("task", "status"), ("task", "show")} <= {path for path, _command in COMMANDS}


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_each_command_has_help_and_so_has_each_of_its_parameters(path: tuple[str, ...], command: Any) -> None:
    assert (command.help or "").strip(), f"'{' '.join(path)}' has no help text"
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        assert (getattr(param, "help", None) or "").strip(), f"'{' '.join(path)}' {param.opts} has no help"


@pytest.mark.parametrize("path", [path for path, _command in COMMANDS], ids=IDS)
def test_help_prints_and_exits_0(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
