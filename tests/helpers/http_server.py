"""A real HTTP server on 127.0.0.1 for tests, with routes set per test and a log of requests.

Use the ``http_server`` fixture (``pytest_plugins = ["helpers"]`` in the test
module loads it) or the class directly (``with LocalHttpServer() as server:``)::

    def test_health(http_server: LocalHttpServer) -> None:
        http_server.route("GET", "/health", json={"status": "ok"}, headers={"X-Version": "1"})
        http_server.route("GET", "/slow", status=503, delay=0.2)
        http_server.route("POST", "/flaky", status=500, times=2)   # twice, then the next route
        http_server.route("POST", "/flaky", json={"ok": True})
        ... http_server.url + "/health" ...
        assert http_server.requests[0].path == "/health"

Paths match exactly or as ``fnmatch`` patterns (``/v1/*``); the method ``*``
matches any. The first route that matches and has calls left answers; none:
404 with ``{"error": "no route"}``. A route can also ``drop`` the connection
without answering. The server speaks HTTP/1.1 with keep-alive, one thread per
connection.
"""

from __future__ import annotations

import fnmatch
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Route:
    """How the server answers one method and path pattern."""

    method: str
    path: str
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    drop: bool = False  # close the connection without an answer
    times: int | None = None  # answers left; None: any number

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path) and self.times != 0


def unused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalHttpServer:
    """A ThreadingHTTPServer on a free port of 127.0.0.1, running in a thread."""

    def __init__(self) -> None:
        self._routes: list[Route] = []
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-http-server", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def route(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        json: Any = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = None,
    ) -> Route:
        """Add a route; ``json`` sets the body and ``Content-Type: application/json``."""
        all_headers = dict(headers or {})
        if json is not None:
            content = _json_bytes(json)
            all_headers.setdefault("Content-Type", "application/json")
        else:
            content = body.encode() if isinstance(body, str) else body or b""
        new = Route(method.upper(), path, status, content, all_headers, delay, drop, times)
        with self._lock:
            self._routes.append(new)
        return new

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def _answer(self, request: RecordedRequest) -> Route | None:
        with self._lock:
            self.requests.append(request)
            for candidate in self._routes:
                if candidate.matches(request.method, request.path):
                    if candidate.times is not None:
                        candidate.times -= 1
                    return candidate
        return None

    def start(self) -> LocalHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalHttpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping out a delay must not hold up the test

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout tests) is expected; anything else is printed as usual."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _json_bytes(document: Any) -> bytes:
    return json.dumps(document).encode()


_NO_ROUTE = Route(
    "*", "*", status=404, body=_json_bytes({"error": "no route"}), headers={"Content-Type": "application/json"}
)


def _handler_for(server: LocalHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms delayed-ACK stalls

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = RecordedRequest(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            answer = server._answer(request) or _NO_ROUTE
            if answer.delay:
                time.sleep(answer.delay)
            if answer.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the request log is ``server.requests``."""

    return Handler
