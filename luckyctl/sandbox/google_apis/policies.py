"""IAM policies (``:getIamPolicy``, ``:setIamPolicy``, ``:testIamPermissions``) of any resource.

One store for projects, secrets, service accounts and Cloud Run services, with
Google's optimistic concurrency: a ``setIamPolicy`` whose etag is stale is
refused with ``ABORTED``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from luckyctl.sandbox.google_apis.errors import aborted, invalid
from luckyctl.sandbox.google_apis.standard_methods import Verb
from luckyctl.sandbox.google_apis.state import ApiContext, etag, json_body

KIND = "iam.policies"
_MEMBER = re.compile(
    r"^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet"
    r"|deleted:user|deleted:serviceAccount|deleted:group|projectOwner|projectEditor|projectViewer):.+)$"
)
_ROLE = re.compile(r"^(roles/[A-Za-z0-9_.]+|(projects|organizations)/[^/]+/roles/[A-Za-z0-9_.]+)$")


def get_policy(ctx: ApiContext, resource: str) -> dict[str, Any]:
    stored = ctx.state.find(KIND, resource)
    if stored is not None:
        return dict(stored)
    empty: dict[str, Any] = {"version": 1}
    return {**empty, "etag": etag({"resource": resource, **empty})}


def set_policy(ctx: ApiContext, resource: str, body: dict[str, Any]) -> dict[str, Any]:
    policy = body.get("policy")
    if not isinstance(policy, dict):
        raise invalid("'policy' is required")
    current = get_policy(ctx, resource)
    if policy.get("etag") and policy["etag"] != current["etag"]:
        raise aborted("There were concurrent policy changes. "
                      "Please retry the whole read-modify-write with exponential backoff.")
    bindings = policy.get("bindings", [])
    for binding in bindings:
        if not _ROLE.match(str(binding.get("role", ""))):
            raise invalid(f"Role {binding.get('role')!r} is not a role name (roles/… or projects/…/roles/…)")
        for member in binding.get("members", []):
            if not _MEMBER.match(str(member)):
                raise invalid(f"Invalid member {member!r}: use user:, serviceAccount:, group:, domain: …")
    stored: dict[str, Any] = {"version": int(policy.get("version", 1))}
    if bindings:
        stored["bindings"] = bindings
    if policy.get("auditConfigs"):
        stored["auditConfigs"] = policy["auditConfigs"]
    stored["etag"] = etag({"resource": resource, **stored, "previous": current["etag"]})
    ctx.state.put(KIND, resource, stored)
    return dict(stored)


def policy_verbs(resource_name: Any = None) -> dict[tuple[str, str], Verb]:
    """The three IAM custom methods; ``resource_name`` maps the request's resource name to the policy key."""

    def key(name: str) -> str:
        return resource_name(name) if resource_name else name

    async def get(ctx: ApiContext, _request: Request, name: str) -> dict[str, Any]:
        return get_policy(ctx, key(name))

    async def put(ctx: ApiContext, request: Request, name: str) -> dict[str, Any]:
        return set_policy(ctx, key(name), await json_body(request))

    async def test(_ctx: ApiContext, request: Request, _name: str) -> dict[str, Any]:
        # the sandbox caller holds every permission it asks about
        permissions = (await json_body(request)).get("permissions", [])
        return {"permissions": permissions} if permissions else {}

    return {
        ("GET", "getIamPolicy"): get,
        ("POST", "getIamPolicy"): get,
        ("POST", "setIamPolicy"): put,
        ("POST", "testIamPermissions"): test,
    }
