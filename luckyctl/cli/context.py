"""The one context object every command receives: options, consoles, loaders."""

from __future__ import annotations

import gc
import json
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from luckyctl.loader.snapshot import StatusView
    from luckyctl.model import Plan, Roadmap
    from luckyctl.secrets import SecretResolver
    from luckyctl.store import Store

# Environment variables with which rich may take a pipe for a terminal.
_TERMINAL_OVERRIDES = ("FORCE_COLOR", "TTY_COMPATIBLE")


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
        from rich.console import Console

        return Console(no_color=not self.color, highlight=False, soft_wrap=not sys.stdout.isatty())

    @cached_property
    def err(self) -> Console:
        """Messages go to stderr."""
        from rich.console import Console

        return Console(stderr=True, no_color=not self.color, highlight=False)

    def surely_plain_stdout(self) -> bool:
        """True when stdout is certainly no terminal, known without importing rich.

        False means "ask rich" (``self.out``), which has the last word on what a terminal is.
        """
        if "out" in self.__dict__ or any(name in os.environ for name in _TERMINAL_OVERRIDES):
            return False
        return not sys.stdout.isatty()

    @cached_property
    def roadmap(self) -> Roadmap:
        from luckyctl.loader import load_roadmap

        roadmap = load_roadmap(self.roadmap_path)
        # It lives as long as the command: out of the cyclic collector's sight (see luckyctl.heap),
        # until close(). A 10,000-task roadmap would otherwise be rescanned at every full collection.
        gc.freeze()
        return roadmap

    @cached_property
    def plan(self) -> Plan:
        from luckyctl.loader import load_plan

        return load_plan(self.plan_ref, roadmap_path=self.roadmap_path)

    @cached_property
    def status_view(self) -> StatusView:
        """The roadmap's outline and the plan's name, from a cache when no file changed (``task status``)."""
        from luckyctl.loader.snapshot import load_status_view

        return load_status_view(self.roadmap_path, self.plan_ref)

    @property
    def plan_name(self) -> str:
        """The plan's name, from the status view when the command took one, else from the plan."""
        view = self.__dict__.get("status_view")
        return view.plan_name if view is not None else self.plan.name

    @cached_property
    def plan_file(self) -> Path:
        """The YAML file the plan was read from."""
        from luckyctl.loader import plan_path

        return plan_path(self.plan_ref, roadmap_path=self.roadmap_path)

    def secrets(self, *, on_resolve: Callable[[str, str], object], services: dict[str, Any]) -> SecretResolver:
        """The plan's secrets, resolved on first use; Secret Manager is reached with the plan's credentials."""
        from luckyctl.gcp import plan_token_provider
        from luckyctl.secrets import SecretResolver

        plan_dir = self.plan_file.parent
        token = plan_token_provider(self.plan, plan_dir=plan_dir, services=services)
        return SecretResolver(self.plan, plan_dir=plan_dir, on_resolve=on_resolve, token_provider=token)

    @property
    def plan_home(self) -> Path:
        """Where this plan's evidence lives: ``<home>/<plan>/``."""
        return self.home / self.plan_name

    @property
    def store_path(self) -> Path:
        return self.plan_home / "luckyctl.db"

    def store(self, *, create: bool = True) -> Store:
        """The plan's evidence store, opened once per command."""
        if self._store is None:
            from luckyctl.store import Store

            self._store = Store.open(self.store_path, create=create)
        return self._store

    def existing_store(self) -> Store | None:
        """The plan's store, or None when nothing has run on the plan yet: a read never creates it."""
        if self._store is None and not self.store_path.exists():
            return None
        return self.store(create=False)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if "roadmap" in self.__dict__:
            gc.unfreeze()

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


def write_report(path: Path, text: str) -> None:
    """Write a report file the user named; a path that cannot be written is their input error."""
    from luckyctl.errors import InputError

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write the report: {error.strerror or error}", path=path) from None
