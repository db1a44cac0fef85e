"""Fault injection for the stand-ins: errors, latency and dropped connections.

A rule matches requests by path regex (and optionally method) and acts on the
next ``times`` of them (all, when ``times`` is null). The admin routes under
``/_sandbox/faults`` are never faulted. The registry lives in the server
process, so each stand-in has its own.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, field_validator

ADMIN_PREFIX = "/_sandbox/"
SANDBOX_HEADER = (b"x-luckyctl-sandbox", b"1")

ErrorBody = Callable[[int], dict[str, Any]]


class FaultSpec(BaseModel):
    """The body of ``POST /_sandbox/faults``."""

    path_regex: str = ".*"
    methods: list[str] | None = None
    status: int | None = Field(default=None, ge=100, le=599)
    body: Any = None
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    drop_connection: bool = False
    times: int | None = Field(default=None, ge=1)

    @field_validator("path_regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @field_validator("methods")
    @classmethod
    def _upper(cls, value: list[str] | None) -> list[str] | None:
        return [m.upper() for m in value] if value else None


@dataclass
class Fault:
    id: int
    spec: FaultSpec
    pattern: re.Pattern[str]
    hits: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.spec.times is None else self.spec.times - self.hits

    def matches(self, method: str, path: str) -> bool:
        if self.spec.methods and method not in self.spec.methods:
            return False
        return bool(self.pattern.search(path))

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, **self.spec.model_dump(), "hits": self.hits, "remaining": self.remaining}


@dataclass
class FaultRegistry:
    faults: list[Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, spec: FaultSpec) -> Fault:
        fault = Fault(next(self._ids), spec, re.compile(spec.path_regex))
        self.faults.append(fault)
        return fault

    def clear(self) -> int:
        count = len(self.faults)
        self.faults.clear()
        return count

    def remove(self, fault_id: int) -> bool:
        before = len(self.faults)
        self.faults = [f for f in self.faults if f.id != fault_id]
        return len(self.faults) < before

    def take(self, method: str, path: str) -> Fault | None:
        """The first rule matching this request, counting the hit; used-up rules go away."""
        for fault in self.faults:
            if fault.matches(method, path):
                fault.hits += 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None


class FaultMiddleware:
    """Outermost ASGI layer of a stand-in: applies the matching fault, if any."""

    def __init__(self, app: Any, registry: FaultRegistry, error_body: ErrorBody) -> None:
        self.app = app
        self.registry = registry
        self.error_body = error_body

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        fault = self.registry.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.spec.latency_ms:
            await asyncio.sleep(fault.spec.latency_ms / 1000)
        if fault.spec.drop_connection:
            await _drop_connection(receive, send)
        elif fault.spec.status is not None:
            await _send_fault_response(send, fault, self.error_body)
        else:
            await self.app(scope, receive, send)


async def _send_fault_response(send: Any, fault: Fault, error_body: ErrorBody) -> None:
    status = fault.spec.status or 500
    body = fault.spec.body if fault.spec.body is not None else error_body(status)
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                SANDBOX_HEADER,
                (b"x-luckyctl-fault", str(fault.id).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _drop_connection(receive: Any, send: Any) -> None:
    """Close the TCP connection without a response byte.

    ASGI has no message for this, so it reaches the transport of uvicorn's
    h11 request cycle (the server every stand-in runs on), aborts it and waits
    for the disconnect so that uvicorn does not answer in our place.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("drop_connection needs the stand-in to run under uvicorn's h11 protocol")
    transport.abort()
    while (await receive())["type"] != "http.disconnect":
        pass


def faults_router(registry: FaultRegistry) -> Any:
    """The admin routes: ``/_sandbox/faults`` (GET, POST, DELETE) and ``/_sandbox/faults/{id}`` (DELETE)."""
    from fastapi import APIRouter, HTTPException

    router = APIRouter(prefix="/_sandbox/faults", tags=["sandbox"])

    @router.get("")
    async def list_faults() -> dict[str, Any]:
        return {"faults": [f.describe() for f in registry.faults]}

    @router.post("", status_code=201)
    async def add_fault(spec: FaultSpec) -> dict[str, Any]:
        return registry.add(spec).describe()

    @router.delete("")
    async def clear_faults() -> dict[str, Any]:
        return {"cleared": registry.clear()}

    @router.delete("/{fault_id}")
    async def remove_fault(fault_id: int) -> dict[str, Any]:
        if not registry.remove(fault_id):
            raise HTTPException(status_code=404, detail=f"no fault {fault_id}")
        return {"cleared": 1}

    return router
