"""The Google stand-ins' resources: in memory, saved to a JSON file after every change.

Resources are grouped by *kind* (``run.services``, ``secretmanager.secrets``,
…) and keyed by their full resource name. Fields whose name starts with ``_``
are the stand-in's own bookkeeping and never leave it. A seed file has the
same shape as the state file: ``{"resources": {kind: {name: resource}}}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request

from luckyctl.sandbox.google_apis.errors import invalid, not_found, permission_denied
from luckyctl.sandbox.paths import SandboxPaths
from luckyctl.sandbox.settings import SandboxSettings

SANDBOX_ORGANIZATION = "organizations/987654321098"
SANDBOX_BILLING_ACCOUNT = "012345-6789AB-CDEF01"


def now() -> str:
    """RFC 3339 UTC timestamp, as Google writes them."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def etag(resource: dict[str, Any]) -> str:
    visible = {k: v for k, v in resource.items() if k != "etag" and not k.startswith("_")}
    digest = hashlib.sha256(json.dumps(visible, sort_keys=True).encode()).digest()[:12]
    return base64.b64encode(digest).decode()


def public(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without the stand-in's bookkeeping fields."""
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def split_verb(segment: str) -> tuple[str, str | None]:
    """``"name:verb"`` → ``("name", "verb")``; Google's custom methods hang off the last path segment."""
    name, colon, verb = segment.partition(":")
    return name, verb if colon else None


@dataclass
class ApiState:
    file: Path
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    fresh: bool = True  # not resumed from a state file: the stand-ins add their defaults

    @classmethod
    def load(cls, file: Path, seed_file: Path | None) -> ApiState:
        resumed = file.is_file()
        source = file if resumed else seed_file
        state = cls(file, fresh=not resumed)
        if source is not None:
            data = json.loads(source.read_text())
            state.resources = {kind: dict(items) for kind, items in data.get("resources", {}).items()}
            state.counters = dict(data.get("counters", {}))
        return state

    def save(self) -> None:
        temporary = self.file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"resources": self.resources, "counters": self.counters}, indent=1))
        os.replace(temporary, self.file)

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        return self.resources.get(kind, {}).get(name)

    def get(self, kind: str, name: str) -> dict[str, Any]:
        resource = self.find(kind, name)
        if resource is None:
            raise not_found(name)
        return resource

    def put(self, kind: str, name: str, resource: dict[str, Any]) -> dict[str, Any]:
        self.resources.setdefault(kind, {})[name] = resource
        return resource

    def delete(self, kind: str, name: str) -> dict[str, Any]:
        resource = self.get(kind, name)
        del self.resources[kind][name]
        return resource

    def children(self, kind: str, parent: str) -> Iterator[dict[str, Any]]:
        """Resources of ``kind`` directly under ``parent`` (``parent/<collection>/<id>``), in creation order."""
        depth = parent.count("/") + 3
        for name, resource in self.resources.get(kind, {}).items():
            if name.startswith(parent + "/") and name.count("/") + 1 == depth:
                yield resource

    def next_id(self, kind: str) -> int:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]


@dataclass
class ApiContext:
    """What every API router gets: the state, the settings and the sandbox's paths."""

    state: ApiState
    settings: SandboxSettings
    paths: SandboxPaths

    def project(self, project: str) -> str:
        """The project id, when ``project`` names the sandbox project (by id or number); else 403 as Google does."""
        if project in (self.settings.project, self.settings.project_number):
            return self.settings.project
        raise permission_denied(f"Permission denied on resource project {project} (or it may not exist).")

    def organization(self, organization: str) -> str:
        if f"organizations/{organization}" != SANDBOX_ORGANIZATION:
            raise permission_denied(f"Permission denied on resource organization {organization}.")
        return organization

    def billing_account(self, account: str) -> str:
        if account != SANDBOX_BILLING_ACCOUNT:
            raise permission_denied(f"Permission denied on resource billingAccounts/{account} (or it may not exist).")
        return account

    def check_parent(self, params: dict[str, str]) -> dict[str, str]:
        """403 unless the path's project, organization or billing account is the sandbox's.

        Returns the parameters with the project named by its id (a number in the path is allowed).
        """
        params = dict(params)
        if "project" in params:
            params["project"] = self.project(params["project"])
        if "organization" in params:
            self.organization(params["organization"])
        if "billing_account" in params:
            self.billing_account(params["billing_account"])
        return params


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise invalid(f"Invalid JSON payload received. {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received. Expected an object.")
    return body


def page(items: list[dict[str, Any]], request: Request, list_key: str, *, total_size: bool = False) -> dict[str, Any]:
    """One page of a list response (``pageSize``/``pageToken``; the token is an offset)."""
    try:
        size = int(request.query_params.get("pageSize") or 0) or len(items) or 1
        start = int(request.query_params.get("pageToken") or 0)
    except ValueError:
        raise invalid("Invalid pageSize or pageToken") from None
    chosen = items[start : start + size]
    response: dict[str, Any] = {list_key: [public(r) for r in chosen]} if chosen else {}
    if start + size < len(items):
        response["nextPageToken"] = str(start + size)
    if total_size:
        response["totalSize"] = len(items)
    return response
