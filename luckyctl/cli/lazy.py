"""Command groups whose commands are imported and built on first use.

Typer turns every command of a group into a click command (reading each
function's signature) before it parses a single argument, and a group's
modules import what their commands need. A lazy group knows only where each
command lives until it is asked for one: ``luckyctl task status`` imports and
builds ``task status`` alone. Help and completion still see every command.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

# command name → (module, attribute). The attribute is a Typer (a group of commands), a
# command function, or ``register``: the command modules' function that attaches their
# commands to a given Typer.
Where = dict[str, tuple[str, str]]
REGISTER = "register"


class LazyCommands(MutableMapping[str, Any]):
    """A group's click commands by name, each built when first looked up; iteration keeps the given order."""

    def __init__(self, where: Where, built: MutableMapping[str, Any]) -> None:
        self._where = dict(where)
        self._built = dict(built)

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in self._where:
                raise KeyError(name)
            self._built[name] = build_command(name, *self._where[name])
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._where and name not in self._built:
            raise KeyError(name)
        self._where.pop(name, None)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self._where), **dict.fromkeys(self._built)})

    def __len__(self) -> int:
        return len(self._where.keys() | self._built.keys())


def build_command(name: str, module: str, attribute: str) -> Any:
    """The click command typer makes of ``module.attribute`` under ``name``, as if attached eagerly."""
    target = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer(add_completion=False)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    elif attribute == REGISTER:
        target(holder)
    else:
        holder.command(name)(target)
    built = typer.main.get_command(holder)
    return built.commands[name] if isinstance(built, TyperGroup) else built


class LazyGroup(TyperGroup):
    """A typer group whose commands are the class's ``where``; subclass it per group (``lazy_group``)."""

    where: Where = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.where, self.commands)


def lazy_group(where: Where) -> type[LazyGroup]:
    """A group class for ``typer.Typer(cls=...)`` with these commands."""
    return type("LazyGroup", (LazyGroup,), {"where": where})
