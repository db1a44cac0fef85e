"""The base URL of each Google API a plan talks to.

A plan's ``gcp.endpoints.<api>`` wins (the sandbox points every API at its
stand-in); otherwise the real Google host, ``https://{api}.googleapis.com``
(``sqladmin``, ``oauth2``, ``run``, ``serviceusage`` … all follow it; a
regional endpoint is an api name too: ``asia-east1-aiplatform``). The one
exception is ``www``: the legacy host of the discovery-based APIs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from luckyctl.errors import StepError

if TYPE_CHECKING:
    from luckyctl.model import Plan

_API_NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_GOOGLE_HOSTS = {"www": "https://www.googleapis.com"}  # hosts that are not {api}.googleapis.com


def configured_endpoint(plan: Plan, api: str) -> str | None:
    """The plan's own endpoint for ``api`` (no trailing slash), or None when it uses Google's."""
    value = plan.gcp.endpoints.get(api)
    return value.rstrip("/") if value else None


def endpoint(plan: Plan, api: str) -> str:
    """The base URL for ``api``: the plan's endpoint, else Google's host. StepError for a name that is no API."""
    if not _API_NAME.match(api):
        raise StepError(f"'{api}' is not a Google API name (lower-case letters, digits and '-', e.g. serviceusage)")
    return configured_endpoint(plan, api) or _GOOGLE_HOSTS.get(api, f"https://{api}.googleapis.com")
