"""Errors of the Google client libraries, the Cloud SQL connector and pg8000, as one-line step summaries.

``describe_error(exc, "Cloud Run")`` gives e.g.

- ``Cloud Run: 404 NOT_FOUND: Resource 'projects/p/…/services/api' was not found``
- ``Cloud Run: 403 PERMISSION_DENIED: Permission denied on resource project other``
- ``Cloud Run: timed out after 5.0s waiting for run.googleapis.com:443``
- ``Google credentials: token refresh failed: invalid_grant: Invalid JWT Signature.``
- ``PostgreSQL 28P01: password authentication failed for user "luckygas"``

and None for an exception it does not know, which the caller re-raises: a
bug should surface as one, not as a tidy summary. A library is looked at only
when it is already imported (its exception cannot exist otherwise), so
describing an error never imports one.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

# Google's canonical status for each HTTP status (google.rpc.Code), for answers that do not name it.
GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_REQUEST_PREFIX = re.compile(r"^[A-Z]+ \S+: ")  # api_core puts "GET https://…: " before Google's message


class Cancelled(Exception):
    """The run was asked to stop while a step waited for Google or a database."""


def google_status(code: int) -> str:
    """Google's status name for an HTTP status: ``NOT_FOUND`` for 404; the HTTP name where Google has none."""
    if code in GOOGLE_STATUS:
        return GOOGLE_STATUS[code]
    try:
        return HTTPStatus(code).name
    except ValueError:
        return "UNKNOWN"


def google_error(body: Any) -> tuple[str | None, str | None]:
    """``(status, message)`` from Google's ``{"error": {"status", "message"}}`` body (dict or bytes), or Nones."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return None, None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    status, message = error.get("status"), error.get("message")
    return (status if isinstance(status, str) else None), (message if isinstance(message, str) else None)


def describe_error(exc: BaseException, service: str, *, timeout: float | None = None) -> str | None:
    """One line naming ``service``, what went wrong and Google's own message; None for an unknown exception."""
    for module, describe in _DESCRIBERS:
        if module in sys.modules:
            summary = describe(exc, service, timeout)
            if summary is not None:
                return summary
    return None


def _api_call(exc: BaseException, service: str, _timeout: float | None) -> str | None:
    from google.api_core import exceptions

    if not isinstance(exc, exceptions.GoogleAPICallError):
        return None
    code = int(exc.code) if exc.code is not None else 0
    status, message = None, None
    if exc.response is not None:
        status, message = google_error(getattr(exc.response, "content", b""))
    if status is None:
        status = exc.grpc_status_code.name if exc.grpc_status_code is not None else google_status(code)
    message = message or _REQUEST_PREFIX.sub("", exc.message or "") or "no message"
    return f"{service}: {code} {status}: {_one_line(message)}"


def _auth(exc: BaseException, _service: str, _timeout: float | None) -> str | None:
    from google.auth import exceptions

    if isinstance(exc, exceptions.RefreshError):
        return f"Google credentials: token refresh failed: {_one_line(_first_arg(exc))}"
    if isinstance(exc, exceptions.TransportError):
        return f"Google credentials: cannot reach the token endpoint: {_one_line(_first_arg(exc))}"
    if isinstance(exc, exceptions.GoogleAuthError):
        return f"Google credentials: {_one_line(_first_arg(exc))}"
    return None


def _requests(exc: BaseException, service: str, timeout: float | None) -> str | None:
    import requests

    if not isinstance(exc, requests.RequestException):
        return None
    url = getattr(exc.request, "url", None)
    target = f" {_target(url)}" if url else ""
    if isinstance(exc, requests.Timeout):
        return f"{service}: {_timed_out(timeout)}" + (f" waiting for{target}" if target else "")
    if isinstance(exc, requests.ConnectionError) and "refused" in str(exc).lower():
        return f"{service}: connection refused" + (f" to{target}" if target else "")
    return f"{service}: {type(exc).__name__}" + (f" from{target}" if target else "") + f": {_one_line(_innermost(exc))}"


def _aiohttp(exc: BaseException, service: str, _timeout: float | None) -> str | None:
    import aiohttp

    if isinstance(exc, aiohttp.ClientResponseError):
        info = exc.request_info
        where = f"{info.method} {info.url.path}" if info is not None else "the Admin API"
        return f"{service}: {exc.status} {google_status(exc.status)}: {exc.message} ({where})"
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or str(exc.os_error)
        return f"{service}: cannot connect to {exc.host}:{exc.port}: {reason}"
    if isinstance(exc, aiohttp.ClientError):
        return f"{service}: {type(exc).__name__}: {_one_line(str(exc))}"
    return None


def _connector(exc: BaseException, service: str, _timeout: float | None) -> str | None:
    if type(exc).__module__.startswith("google.cloud.sql.connector"):
        return f"{service} connector: {_one_line(str(exc) or type(exc).__name__)}"
    return None


def _postgres(exc: BaseException, _service: str, timeout: float | None) -> str | None:
    import pg8000.exceptions

    if not isinstance(exc, pg8000.exceptions.Error):
        return None
    fields = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else None
    if fields is not None:  # the server's error response: C is the SQLSTATE, M the message
        sqlstate = f" {fields['C']}" if fields.get("C") else ""
        return f"PostgreSQL{sqlstate}: {_one_line(str(fields.get('M', 'error')))}"
    if isinstance(exc.__cause__, TimeoutError):
        return f"PostgreSQL: {_timed_out(timeout)} waiting for the server"
    return f"PostgreSQL: {_one_line(_innermost(exc))}"


def _builtin(exc: BaseException, service: str, timeout: float | None) -> str | None:
    if isinstance(exc, TimeoutError):  # asyncio's and concurrent.futures' too
        return f"{service}: {_timed_out(timeout)}"
    if isinstance(exc, ConnectionRefusedError):
        return f"{service}: connection refused"
    if isinstance(exc, OSError):
        return f"{service}: {_one_line(exc.strerror or str(exc))}"
    return None


_DESCRIBERS: list[tuple[str, Callable[[BaseException, str, float | None], str | None]]] = [
    ("google.api_core.exceptions", _api_call),
    ("google.auth.exceptions", _auth),
    ("requests", _requests),
    ("aiohttp", _aiohttp),
    ("google.cloud.sql.connector", _connector),
    ("pg8000", _postgres),
    ("builtins", _builtin),
]


def _timed_out(timeout: float | None) -> str:
    return f"timed out after {float(timeout)!r}s" if timeout is not None else "timed out"


def _first_arg(exc: BaseException) -> str:
    return str(exc.args[0]) if exc.args else type(exc).__name__


def _innermost(exc: BaseException) -> str:
    """The message of the deepest cause: urllib3 and pg8000 wrap the OS error that says what happened."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc)
    return text.split("] ", 1)[1] if text.startswith("[Errno") and "] " in text else (text or type(exc).__name__)


def _target(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.hostname}:{port}" if port else str(parts.hostname)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
