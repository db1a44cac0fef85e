"""Shared test helpers: a real local HTTP server, and a StepContext for step tests.

This module is also a pytest plugin with the ``http_server`` fixture; a test
module (or the root conftest.py) loads it with::

    pytest_plugins = ["helpers"]

Test modules import from here before pytest loads it as a plugin, so pytest
must not try to rewrite its asserts (it has none): PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.http_server import LocalHttpServer, RecordedRequest, Route, unused_port
from luckyctl.model import Plan
from luckyctl.steps.base import StepContext
from luckyctl.variables import Resolver

__all__ = ["LocalHttpServer", "RecordedRequest", "Route", "http_server", "step_context", "unused_port"]


@pytest.fixture
def http_server() -> Iterator[LocalHttpServer]:
    """A started LocalHttpServer, stopped after the test."""
    with LocalHttpServer() as server:
        yield server


def step_context(
    workdir: Path,
    *,
    variables: dict[str, Any] | None = None,
    timeout: float = 5.0,
    cancel: threading.Event | None = None,
    plan: Plan | None = None,
    resolver: Resolver | None = None,
) -> StepContext:
    """A StepContext as the engine would build it, for calling step runners directly."""
    resolve = resolver or Resolver(variables or {})
    return StepContext(
        task_id="T.1.1",
        plan=plan or Plan(name="sandbox"),
        resolve=resolve,
        timeout=timeout,
        workdir=workdir,
        cancel=cancel or threading.Event(),
    )
