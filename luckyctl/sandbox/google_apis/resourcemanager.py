"""Cloud Resource Manager stand-in (v1 and v3): the sandbox project and its IAM policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request

from luckyctl.sandbox.google_apis.errors import not_found
from luckyctl.sandbox.google_apis.policies import policy_verbs
from luckyctl.sandbox.google_apis.state import (
    SANDBOX_ORGANIZATION,
    ApiContext,
    split_verb,
)

CREATED = "2026-01-05T08:00:00.000Z"  # fixed, so project reads are stable


def project_v1(ctx: ApiContext) -> dict[str, Any]:
    settings = ctx.settings
    return {
        "projectNumber": settings.project_number, "projectId": settings.project, "lifecycleState": "ACTIVE",
        "name": "Lucky Gas (sandbox)", "createTime": CREATED,
        "labels": {"environment": "sandbox"},
        "parent": {"type": "organization", "id": SANDBOX_ORGANIZATION.split("/")[1]},
    }


def project_v3(ctx: ApiContext) -> dict[str, Any]:
    settings = ctx.settings
    return {
        "name": f"projects/{settings.project_number}", "parent": SANDBOX_ORGANIZATION,
        "projectId": settings.project, "state": "ACTIVE", "displayName": "Lucky Gas (sandbox)",
        "createTime": CREATED, "labels": {"environment": "sandbox"},
    }


def router(ctx: ApiContext) -> APIRouter:
    api = APIRouter()
    iam = policy_verbs()

    def endpoint(present: Callable[[ApiContext], dict[str, Any]]) -> Callable[..., Awaitable[dict[str, Any]]]:
        async def project(request: Request, project: str) -> dict[str, Any]:
            project_id, verb = split_verb(project)
            key = f"projects/{ctx.project(project_id)}"
            if verb is None and request.method == "GET":
                return present(ctx)
            handler = iam.get((request.method, verb or ""))
            if handler is None:
                raise not_found(f"projects/{project}")
            return await handler(ctx, request, key)

        return project

    api.add_api_route("/v1/projects/{project}", endpoint(project_v1), methods=["GET", "POST"])
    api.add_api_route("/v3/projects/{project}", endpoint(project_v3), methods=["GET", "POST"])
    return api
