"""Security Command Center stand-in: sources and findings (v1), service settings (v1beta2).

Findings start empty; a seed file can add some (kind ``securitycenter.findings``,
each with a ``parent`` source name). The list filter understands
``field="value"`` terms joined by ``AND``, enough for ``state="ACTIVE" AND
severity="CRITICAL"``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request

from luckyctl.sandbox.google_apis.errors import invalid, not_found
from luckyctl.sandbox.google_apis.standard_methods import apply_mask, field_mask
from luckyctl.sandbox.google_apis.state import (
    SANDBOX_ORGANIZATION,
    ApiContext,
    json_body,
    now,
    page,
)

FINDINGS = "securitycenter.findings"
SETTINGS = "securitycenter.settings"
SOURCES = (
    ("1001", "Security Health Analytics", "Misconfigurations and vulnerabilities of Google Cloud resources."),
    ("1002", "Event Threat Detection", "Threats found in Cloud Logging events."),
    ("1003", "Container Threat Detection", "Runtime threats in containers."),
)
SERVICE_SETTINGS = (
    "securityHealthAnalyticsSettings", "eventThreatDetectionSettings", "containerThreatDetectionSettings",
    "virtualMachineThreatDetectionSettings", "webSecurityScannerSettings", "rapidVulnerabilityDetectionSettings",
)
_TERM = re.compile(r'^\s*([\w.]+)\s*=\s*"?([^"]*)"?\s*$')


def _matches(finding: dict[str, Any], expression: str) -> bool:
    for term in filter(None, (t.strip() for t in re.split(r"\s+AND\s+", expression))):
        match = _TERM.match(term)
        if match is None:
            raise invalid(f"Unsupported filter term {term!r}: use field=\"value\" joined by AND")
        value: Any = finding
        for part in match.group(1).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if str(value) != match.group(2):
            return False
    return True


def _parent(params: dict[str, str]) -> str:
    if "organization" in params:
        return f"organizations/{params['organization']}"
    return f"projects/{params['project']}"


def router(ctx: ApiContext) -> APIRouter:
    api = APIRouter()
    parents = ("organizations/{organization}", "projects/{project}")

    # sources belong to the organization, whichever parent lists them
    sources = [{"name": f"{SANDBOX_ORGANIZATION}/sources/{sid}", "displayName": name, "description": text}
               for sid, name, text in SOURCES]

    for template in parents:

        @api.get(f"/v1/{template}/sources")
        async def list_sources(request: Request) -> dict[str, Any]:
            ctx.check_parent(dict(request.path_params))
            return page(sources, request, "sources")

        @api.get(f"/v1/{template}/sources/{{source}}/findings")
        async def list_findings(request: Request) -> dict[str, Any]:
            params = dict(request.path_params)
            source = params.pop("source")
            ctx.check_parent(params)
            if source != "-" and source not in {sid for sid, _, _ in SOURCES}:
                raise not_found(f"{SANDBOX_ORGANIZATION}/sources/{source}")
            expression = request.query_params.get("filter", "")
            findings = [
                {"finding": f, "stateChange": "UNUSED"}
                for f in ctx.state.resources.get(FINDINGS, {}).values()
                if (source == "-" or f.get("parent", "").endswith(f"/sources/{source}")) and _matches(f, expression)
            ]
            response = page(findings, request, "listFindingsResults")
            return {**response, "totalSize": len(findings), "readTime": now()}

        @api.api_route(f"/v1beta2/{template}/{{setting}}", methods=["GET", "PATCH"])
        async def service_settings(request: Request) -> dict[str, Any]:
            params = dict(request.path_params)
            setting = params.pop("setting")
            name = f"{_parent(ctx.check_parent(params))}/{setting}"
            if setting == "securityCenterSettings":
                return {"name": name, "serviceAccount":
                        f"service-org-{SANDBOX_ORGANIZATION.split('/')[1]}@security-center-api.iam.gserviceaccount.com"}
            if setting not in SERVICE_SETTINGS:
                raise not_found(name)
            stored = ctx.state.find(SETTINGS, name) or {"name": name, "serviceEnablementState": "INHERITED"}
            if request.method == "PATCH":
                body = await json_body(request)
                state = body.get("serviceEnablementState", stored["serviceEnablementState"])
                if state not in ("INHERITED", "ENABLED", "DISABLED"):
                    raise invalid("serviceEnablementState must be INHERITED, ENABLED or DISABLED")
                stored = apply_mask(stored, {k: v for k, v in body.items() if k != "name"}, field_mask(request, body))
                stored["updateTime"] = now()
                ctx.state.put(SETTINGS, name, stored)
            return stored

    return api
