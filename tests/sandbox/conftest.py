"""Fixtures of the sandbox tests. The session's sandbox itself (``sandbox``, ``sandbox_settings``,
``sandbox_dir``, ``api_url``, ``google_url``) comes from the ``helpers.sandbox`` plugin.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.sandbox import free_port, fresh_settings, state_dir
from luckyctl.sandbox.settings import SandboxSettings


@pytest.fixture
def spare_dir() -> Iterator[Path]:
    """A state directory for a second, short-lived sandbox."""
    yield from state_dir()


@pytest.fixture
def new_settings() -> Callable[..., SandboxSettings]:
    """``new_settings(**overrides)``: settings on free ports, for a second sandbox."""
    return fresh_settings


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
