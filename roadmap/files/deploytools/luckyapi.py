"""A small client for the Lucky Gas API, as the smoke tests and release checks use it.

It behaves like the front end's API client is meant to: the bearer token on
every call, one error type carrying the API's ``detail`` and the request id,
a token refresh that follows the API's single-use refresh tokens, and retries
with exponential backoff (honouring ``Retry-After``) for idempotent requests
only.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class ApiError(Exception):
    """A response of 400 or more, normalised: status, the API's ``detail`` and the request id."""

    def __init__(self, status: int, detail: Any, request_id: str | None, headers: dict[str, str]) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail
        self.request_id = request_id
        self.headers = headers


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class LuckyApi:
    base_url: str
    timeout: float = 10.0
    max_attempts: int = 4
    backoff_s: float = 0.2  # first retry delay; doubles, with jitter
    max_delay_s: float = 5.0  # cap, also on a server's Retry-After
    sleep: Callable[[float], None] = time.sleep
    access_token: str | None = None
    refresh_token: str | None = None
    role: str | None = None

    def login(self, username: str, password: str) -> dict[str, Any]:
        body = self.request("POST", "/api/v1/auth/login", {"username": username, "password": password}, auth=False)
        self._keep(body)
        return body

    def refresh(self) -> dict[str, Any]:
        if not self.refresh_token:
            raise ValueError("no refresh token: log in first")
        body = self.request("POST", "/api/v1/auth/refresh", {"refresh_token": self.refresh_token}, auth=False)
        self._keep(body)
        return body

    def logout(self) -> None:
        """The API keeps no session: logging out forgets the tokens."""
        self.access_token = self.refresh_token = self.role = None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, payload: Any) -> Any:
        return self.request("POST", path, payload)

    def request(self, method: str, path: str, payload: Any = None, *, auth: bool = True) -> Any:
        """The JSON body of a successful response; ``ApiError`` otherwise."""
        return self.send(method, path, payload, auth=auth).body

    def send(self, method: str, path: str, payload: Any = None, *, auth: bool = True) -> Response:
        method = method.upper()
        attempts = self.max_attempts if method in IDEMPOTENT else 1
        request_id = uuid.uuid4().hex  # the same id on every retry, so the logs tie them together
        for attempt in range(1, attempts + 1):
            try:
                return self._once(method, path, payload, auth, request_id)
            except ApiError as error:
                if error.status not in RETRY_STATUSES or attempt == attempts:
                    raise
                self.sleep(self._delay(attempt, error.headers.get("retry-after")))
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after), self.max_delay_s)
        base = self.backoff_s * 2 ** (attempt - 1)
        return min(base + random.uniform(0, base / 2), self.max_delay_s)

    def _once(self, method: str, path: str, payload: Any, auth: bool, request_id: str) -> Response:
        headers = {"Accept": "application/json", "X-Request-ID": request_id}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if auth and self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        request = urllib.request.Request(self.base_url.rstrip("/") + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Response(response.status, _json(response.read()), _lower(response.headers))
        except urllib.error.HTTPError as error:
            body = _json(error.read())
            detail = body.get("detail", body) if isinstance(body, dict) else body
            response_headers = _lower(error.headers)
            raise ApiError(error.code, detail, response_headers.get("x-request-id"), response_headers) from None

    def _keep(self, tokens: dict[str, Any]) -> None:
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token")
        self.role = tokens.get("role", self.role)


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _lower(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}
