"""Google credentials as an ``httpx.Auth``, so plain httpx requests carry the bearer token."""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from google.auth.credentials import Credentials


class GoogleAuth(httpx.Auth):
    """Adds ``Authorization: Bearer …`` (and google-auth's other headers) to each request.

    ``credentials.before_request`` refreshes an expired or missing token first,
    through google-auth's own requests adapter (the token endpoint is not the
    API the step talks to, so the step's httpx transport is not used for it).
    A refresh that fails raises google-auth's ``RefreshError`` or
    ``TransportError`` out of the request.
    """

    def __init__(self, credentials: Credentials) -> None:
        import google.auth.transport.requests

        self._credentials = credentials
        self._request = google.auth.transport.requests.Request()
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers: dict[str, str] = {}
        with self._lock:  # one refresh at a time; the others then find a valid token
            self._credentials.before_request(self._request, request.method, str(request.url), headers)
        request.headers.update(headers)
        yield request
