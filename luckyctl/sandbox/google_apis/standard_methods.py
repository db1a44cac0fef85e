"""Standard methods (create, get, list, patch, delete) for a plain collection of resources.

Most of what the roadmap touches (alert policies, notification channels,
uptime checks, budgets, secrets, SLOs…) follows Google's resource-oriented
design, so one implementation serves them all; each collection adds its own
validation and output fields through hooks, and its custom methods
(``name:verb``) through ``verbs``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request

from luckyctl.sandbox.google_apis.errors import already_exists, invalid, not_found
from luckyctl.sandbox.google_apis.state import (
    ApiContext,
    etag,
    json_body,
    page,
    public,
    split_verb,
)

Hook = Callable[[ApiContext, str, dict[str, Any]], dict[str, Any]]
Verb = Callable[[ApiContext, Request, str], Awaitable[dict[str, Any]]]
_ID = re.compile(r"^[A-Za-z0-9_.~-]{1,255}$")


def _unchanged(_ctx: ApiContext, _name: str, resource: dict[str, Any]) -> dict[str, Any]:
    return resource


@dataclass(frozen=True)
class Collection:
    kind: str  # state kind, e.g. "monitoring.alertPolicies"
    prefix: str  # API version path, e.g. "/v3"
    parent: str  # parent name template, e.g. "projects/{project}"
    segment: str  # collection id, e.g. "alertPolicies"
    id_param: str | None = None  # query parameter naming a new resource ("secretId"); None: the server picks
    total_size: bool = False  # list responses carry totalSize (Monitoring does)
    etag: bool = True
    on_create: Hook = _unchanged  # validate and complete a new resource (may raise GoogleApiError)
    on_update: Hook = _unchanged  # validate a patched resource
    present: Hook = _unchanged  # turn a stored resource into the response (e.g. mask sensitive labels)
    on_delete: Callable[[ApiContext, str], None] | None = None  # also remove what hangs off the resource
    verbs: dict[tuple[str, str], Verb] = field(default_factory=dict)  # (HTTP method, verb) → handler
    read_only: bool = False

    @property
    def collection_path(self) -> str:
        return f"{self.prefix}/{self.parent}/{self.segment}"

    def parent_name(self, ctx: ApiContext, params: dict[str, str]) -> str:
        return self.parent.format(**ctx.check_parent(params))


def field_mask(request: Request, body: dict[str, Any]) -> list[str] | None:
    mask = request.query_params.get("updateMask")
    if mask is None:
        return None
    return [_camel(path.strip()) for path in mask.split(",") if path.strip()] or list(body)


def _camel(path: str) -> str:
    return ".".join(re.sub(r"_([a-z])", lambda m: m.group(1).upper(), part) for part in path.split("."))


def apply_mask(resource: dict[str, Any], body: dict[str, Any], mask: list[str] | None) -> dict[str, Any]:
    """``resource`` updated from ``body``: the masked fields (dotted paths), or every field given."""
    updated = dict(resource)
    if mask is None:
        updated.update(body)
        return updated
    for path in mask:
        *parents, leaf = path.split(".")
        source: Any = body
        target = updated
        for part in parents:
            source = source.get(part, {}) if isinstance(source, dict) else {}
            target[part] = dict(target.get(part, {}))
            target = target[part]
        if isinstance(source, dict) and leaf in source:
            target[leaf] = source[leaf]
        else:
            target.pop(leaf, None)
    return updated


_FILTER_TERM = re.compile(r'\s*([A-Za-z_][\w.]*)\s*=\s*"([^"]*)"\s*')


def filtered(items: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The items a list ``filter`` keeps: ``field="value"`` terms (dotted fields) joined by AND.

    That is the part of Google's filter language the roadmap uses; anything
    else is refused, as the real API refuses what it cannot parse.
    """
    if not text.strip():
        return items
    terms = []
    for part in re.split(r"\s+AND\s+", text.strip()):
        match = _FILTER_TERM.fullmatch(part)
        if match is None:
            raise invalid(f'unsupported filter {text!r}: the sandbox supports field="value" terms joined by AND')
        terms.append(match.groups())
    return [item for item in items if all(_field(item, path) == value for path, value in terms)]


def _field(resource: dict[str, Any], path: str) -> str | None:
    value: Any = resource
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return str(value)


def add_collection(router: APIRouter, ctx: ApiContext, coll: Collection) -> None:
    """Register the collection's routes on ``router``."""
    state = ctx.state

    def respond(name: str, resource: dict[str, Any]) -> dict[str, Any]:
        return public(coll.present(ctx, name, resource))

    async def create(request: Request) -> dict[str, Any]:
        parent = coll.parent_name(ctx, dict(request.path_params))
        body = await json_body(request)
        resource_id = _new_id(coll, request)
        name = f"{parent}/{coll.segment}/{resource_id}"
        if state.find(coll.kind, name) is not None:
            raise already_exists(name)
        resource = coll.on_create(ctx, name, {**body, "name": name})
        if coll.etag:
            resource["etag"] = etag(resource)
        return respond(name, state.put(coll.kind, name, resource))

    async def listing(request: Request) -> dict[str, Any]:
        parent = coll.parent_name(ctx, dict(request.path_params))
        items = [coll.present(ctx, r["name"], r) for r in state.children(coll.kind, parent)]
        items = filtered(items, request.query_params.get("filter", ""))
        return page(items, request, coll.segment, total_size=coll.total_size)

    async def item(request: Request) -> dict[str, Any]:
        params = dict(request.path_params)
        resource_id, verb = split_verb(params.pop("resource_id"))
        name = f"{coll.parent_name(ctx, params)}/{coll.segment}/{resource_id}"
        if verb is not None:
            handler = coll.verbs.get((request.method, verb))
            if handler is None:
                raise not_found(f"{name}:{verb}")
            return await handler(ctx, request, name)
        if request.method == "GET":
            return respond(name, state.get(coll.kind, name))
        if request.method == "POST":
            raise not_found(f"{name} (POST needs a custom method, name:verb)")
        if request.method == "DELETE":
            state.delete(coll.kind, name)
            if coll.on_delete is not None:
                coll.on_delete(ctx, name)
            return {}
        body = await json_body(request)
        current = state.get(coll.kind, name)
        if body.get("etag") and coll.etag and body["etag"] != current.get("etag"):
            raise invalid(f"The etag of {name} does not match: it was changed since it was read")
        changed = apply_mask(current, {k: v for k, v in body.items() if k not in ("name", "etag")},
                             field_mask(request, body))
        changed = coll.on_update(ctx, name, changed)
        if coll.etag:
            changed["etag"] = etag(changed)
        return respond(name, state.put(coll.kind, name, changed))

    base = coll.collection_path
    item_methods = ["GET", "POST"] if coll.read_only else ["GET", "POST", "PATCH", "DELETE"]
    if not coll.read_only:
        router.add_api_route(base, create, methods=["POST"])
    router.add_api_route(base, listing, methods=["GET"])
    router.add_api_route(base + "/{resource_id}", item, methods=item_methods)


def _new_id(coll: Collection, request: Request) -> str:
    if coll.id_param is None:
        return uuid.uuid4().hex[:20]
    resource_id = request.query_params.get(coll.id_param)
    if not resource_id or not _ID.match(resource_id):
        raise invalid(f"The query parameter '{coll.id_param}' must name the new resource ([A-Za-z0-9_.~-]).")
    return resource_id

