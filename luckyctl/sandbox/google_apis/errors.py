"""Google's JSON error shape: ``{"error": {"code", "message", "status"}}``."""

from __future__ import annotations

from typing import Any

STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential."
)


def error_body(code: int, message: str | None = None, status: str | None = None) -> dict[str, Any]:
    status = status or STATUS_BY_CODE.get(code, "UNKNOWN")
    return {"error": {"code": code, "message": message or status.replace("_", " ").capitalize(), "status": status}}


class GoogleApiError(Exception):
    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.status)


def not_found(name: str) -> GoogleApiError:
    return GoogleApiError(404, f"Resource '{name}' was not found")


def already_exists(name: str) -> GoogleApiError:
    return GoogleApiError(409, f"Resource '{name}' already exists")


def invalid(message: str) -> GoogleApiError:
    return GoogleApiError(400, message)


def aborted(message: str) -> GoogleApiError:
    return GoogleApiError(409, message, "ABORTED")


def failed_precondition(message: str) -> GoogleApiError:
    return GoogleApiError(400, message, "FAILED_PRECONDITION")


def permission_denied(message: str) -> GoogleApiError:
    return GoogleApiError(403, message)
