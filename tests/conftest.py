"""Fixtures any test may use: files in a temporary folder and the CLI in-process."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from luckyctl.cli.app import app

pytest_plugins = ["helpers.sandbox"]  # the session's one sandbox, shared by tests/sandbox and the Google step tests


@pytest.fixture(autouse=True)
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test caches into its own folder, never into the user's home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def write_roadmap(tmp_path: Path) -> Callable[..., Path]:
    """``write_roadmap(text)`` → tmp_path/roadmap.yaml; ``write_roadmap(text, "roadmap/epics/x.yaml")`` for folders.

    The text is dedented, so tests can indent it with their code.
    """

    def write(text: str, name: str = "roadmap.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def cli() -> Callable[..., Result]:
    """``cli("--roadmap", path, "roadmap", "check")``: run luckyctl in-process; stdout and stderr kept apart."""
    runner = CliRunner()

    def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, [str(arg) for arg in args], env=env)

    return invoke
