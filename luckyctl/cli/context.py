"""The one context object every command receives: options, consoles, loaders."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from luckyctl.model import Plan, Roadmap
    from luckyctl.store import Store


@dataclass
class AppContext:
    """Global options resolved once; roadmap, plan and store loaded on first use."""

    roadmap_path: Path
    plan_ref: str
    home: Path
    verbose: int = 0
    quiet: bool = False
    color: bool = True
    _store: Any = field(default=None, repr=False)

    @cached_property
    def out(self) -> Console:
        """Data goes to stdout."""
        return Console(no_color=not self.color, highlight=False, soft_wrap=not sys.stdout.isatty())

    @cached_property
    def err(self) -> Console:
        """Messages go to stderr."""
        return Console(stderr=True, no_color=not self.color, highlight=False)

    @cached_property
    def roadmap(self) -> Roadmap:
        from luckyctl.loader import load_roadmap

        return load_roadmap(self.roadmap_path)

    @cached_property
    def plan(self) -> Plan:
        from luckyctl.loader import load_plan

        return load_plan(self.plan_ref, roadmap_path=self.roadmap_path)

    @cached_property
    def plan_file(self) -> Path:
        """The YAML file the plan was read from."""
        from luckyctl.loader import plan_path

        return plan_path(self.plan_ref, roadmap_path=self.roadmap_path)

    @property
    def plan_home(self) -> Path:
        """Where this plan's evidence lives: ``<home>/<plan>/``."""
        return self.home / self.plan.name

    @property
    def store_path(self) -> Path:
        return self.plan_home / "luckyctl.db"

    def store(self, *, create: bool = True) -> Store:
        """The plan's evidence store, opened once per command."""
        if self._store is None:
            from luckyctl.store import Store

            self._store = Store.open(self.store_path, create=create)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def info(self, message: str) -> None:
        """A progress or status message on stderr, unless --quiet."""
        if not self.quiet:
            self.err.print(message)

    def print_json(self, document: Any) -> None:
        """Exactly one JSON document on stdout."""
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


def get(ctx: typer.Context) -> AppContext:
    """The AppContext of the current invocation."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):
        raise RuntimeError("luckyctl context missing")
    return root.obj
