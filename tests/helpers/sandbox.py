"""One real sandbox for the whole test session: PostgreSQL, the Google stand-ins, the TLS proxy, the Lucky API.

A pytest plugin: the root conftest.py loads it (``pytest_plugins``), so the
sandbox tests and the step tests share one sandbox, started on first use.
Every service listens on free loopback ports (the TLS proxy on port 3307 of
a free 127.x address), so the tests never meet a sandbox someone else runs.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import random
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from helpers import step_context
from luckyctl.gcp import close_services
from luckyctl.model import GcpSettings, Plan
from luckyctl.sandbox import manager
from luckyctl.sandbox.settings import SQL_PROXY_PORT, SandboxSettings
from luckyctl.steps.base import StepContext


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_proxy_host() -> str:
    """A loopback address whose port 3307 is free (the connector always dials 3307)."""
    for _ in range(50):
        host = f"127.0.{random.randint(1, 254)}.{random.randint(2, 254)}"
        with socket.socket() as probe:
            try:
                probe.bind((host, SQL_PROXY_PORT))
            except OSError:
                continue
            return host
    raise RuntimeError("no loopback address with a free port 3307")


def fresh_settings(**overrides: object) -> SandboxSettings:
    values: dict[str, object] = {
        "api_port": free_port(),
        "google_port": free_port(),
        "postgres_port": free_port(),
        "sql_proxy_host": free_proxy_host(),
        "cors_origins": ("http://localhost:5173",),
    }
    values.update(overrides)
    return SandboxSettings(**values)  # type: ignore[arg-type]


def state_dir() -> Iterator[Path]:
    """A state directory outside pytest's temporary root.

    Under root PostgreSQL runs as another user, who must be able to traverse
    the directory's parents; pytest makes its root private again whenever a
    pytest session starts, which would lock the server out.
    """
    directory = Path(tempfile.mkdtemp(prefix="luckyctl-sandbox-test-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def sandbox_settings() -> SandboxSettings:
    return fresh_settings()


@pytest.fixture(scope="session")
def sandbox_dir() -> Iterator[Path]:
    yield from state_dir()


@pytest.fixture(scope="session")
def sandbox(sandbox_settings: SandboxSettings, sandbox_dir: Path) -> Iterator[manager.UpResult]:
    result = manager.up(sandbox_settings, sandbox_dir)
    try:
        yield result
    finally:
        manager.down(sandbox_dir)


@pytest.fixture(scope="session")
def api_url(sandbox: manager.UpResult, sandbox_settings: SandboxSettings) -> str:
    return sandbox_settings.api_url


@pytest.fixture(scope="session")
def google_url(sandbox: manager.UpResult, sandbox_settings: SandboxSettings) -> str:
    return sandbox_settings.google_url


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    """Faults injected by a test never reach the next one."""
    yield
    if "sandbox" in request.fixturenames:
        settings: SandboxSettings = request.getfixturevalue("sandbox_settings")
        for url in (settings.api_url, settings.google_url):
            httpx.delete(f"{url}/_sandbox/faults", timeout=5)


GOOGLE_APIS = (
    "run",
    "serviceusage",
    "secretmanager",
    "iam",
    "cloudresourcemanager",
    "billingbudgets",
    "monitoring",
    "sqladmin",
    "oauth2",
)


def sandbox_plan(settings: SandboxSettings, *, credentials: str = "anonymous", project: str | None = None) -> Plan:
    """A plan as plans/sandbox.yaml would give for this sandbox: every Google API at its stand-in."""
    return Plan(
        name="sandbox",
        vars={"region": settings.region, "gcp_project": settings.project},
        gcp=GcpSettings(
            project=project or settings.project,
            credentials=credentials,
            endpoints={api: settings.google_url for api in GOOGLE_APIS},
        ),
    )


@pytest.fixture
def google_step_context(
    sandbox: manager.UpResult, sandbox_settings: SandboxSettings, tmp_path: Path
) -> Iterator[Callable[..., StepContext]]:
    """``google_step_context(timeout=10.0, plan=None, cancel=None)``: a StepContext on the session's sandbox.

    Each context has its own ``services`` (credentials, clients, the Cloud SQL
    connector); they are closed after the test, as the engine closes a run's.
    """
    contexts: list[StepContext] = []

    def make(*, timeout: float = 10.0, plan: Plan | None = None, cancel: threading.Event | None = None) -> StepContext:
        ctx = step_context(tmp_path, timeout=timeout, plan=plan or sandbox_plan(sandbox_settings), cancel=cancel)
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        assert close_services(ctx.services) == []


def add_fault(settings: SandboxSettings, **rule: object) -> dict[str, object]:
    """Inject a fault into the Google stand-ins (see docs/sandbox.md, *Fault injection*); the rule as stored."""
    response = httpx.post(f"{settings.google_url}/_sandbox/faults", json=rule, timeout=5)
    response.raise_for_status()
    stored: dict[str, object] = response.json()
    return stored
