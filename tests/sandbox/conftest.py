"""One real sandbox for the whole session: PostgreSQL, the Google stand-ins, the TLS proxy, the Lucky API.

Every service listens on free loopback ports (the TLS proxy on port 3307 of a
free 127.x address), so the tests never meet a sandbox someone else runs.
"""

from __future__ import annotations

import random
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from luckyctl.sandbox import manager
from luckyctl.sandbox.settings import SQL_PROXY_PORT, SandboxSettings


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
        "api_port": free_port(), "google_port": free_port(), "postgres_port": free_port(),
        "sql_proxy_host": free_proxy_host(), "cors_origins": ("http://localhost:5173",),
    }
    values.update(overrides)
    return SandboxSettings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sandbox_settings() -> SandboxSettings:
    return fresh_settings()


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
def sandbox_dir() -> Iterator[Path]:
    yield from state_dir()


@pytest.fixture
def spare_dir() -> Iterator[Path]:
    """A state directory for a second, short-lived sandbox."""
    yield from state_dir()


@pytest.fixture
def new_settings() -> Callable[..., SandboxSettings]:
    """``new_settings(**overrides)``: settings on free ports, for a second sandbox."""
    return fresh_settings


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


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    """``serve(asgi_app)`` → its base URL: the app on a real uvicorn server in a thread, for this test."""
    import uvicorn

    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: Any) -> str:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http="h11", lifespan="off",
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def bearer() -> dict[str, str]:
    return {"Authorization": "Bearer sandbox-test-token"}


@pytest.fixture
def token_credentials() -> object:
    """Credentials that carry a token, as the Cloud SQL connector needs (anonymous ones cannot refresh)."""
    import google.oauth2.credentials

    return google.oauth2.credentials.Credentials(token="sandbox-test-token")


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    """Faults injected by a test never reach the next one."""
    yield
    if "sandbox" in request.fixturenames:
        settings: SandboxSettings = request.getfixturevalue("sandbox_settings")
        for url in (settings.api_url, settings.google_url):
            httpx.delete(f"{url}/_sandbox/faults", timeout=5)
