"""Cloud Run Admin API v2 stand-in: services, revisions and long-running operations.

Requests and responses go through the real ``google.cloud.run.v2`` protobuf
schema (``json_format``), so field names, enum values (the REST clients send
enums as numbers) and unknown-field errors are the real ones. A change returns
an unfinished operation; it completes after ``operation_polls`` reads of it
(or one ``:wait``), and only then is the new revision ready and serving.
Every service's ``uri`` is the Lucky Gas API stand-in: the one app the
sandbox has to serve.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from typing import Any

from fastapi import APIRouter, Request

from luckyctl.sandbox.google_apis.errors import (
    already_exists,
    failed_precondition,
    invalid,
    not_found,
)
from luckyctl.sandbox.google_apis.policies import policy_verbs
from luckyctl.sandbox.google_apis.state import (
    ApiContext,
    json_body,
    now,
    page,
    public,
    split_verb,
)

SERVICES = "run.services"
REVISIONS = "run.revisions"
OPERATIONS = "run.operations"
SERVICE_TYPE = "type.googleapis.com/google.cloud.run.v2.Service"
LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
_SERVICE_ID = re.compile(r"^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$")
# Fields the server owns: ignored when a client sends them back (as it does after a get).
_OUTPUT_FIELDS = {
    "name", "uid", "generation", "createTime", "updateTime", "deleteTime", "expireTime", "creator",
    "lastModifier", "observedGeneration", "terminalCondition", "conditions", "latestReadyRevision",
    "latestCreatedRevision", "trafficStatuses", "uri", "urls", "satisfiesPzs", "reconciling", "etag",
}
CALLER = "sandbox-caller@luckyctl.invalid"


def canonical(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` parsed as a ``google.cloud.run.v2.Service`` and written back as canonical JSON."""
    from google.cloud.run_v2.types import Service
    from google.protobuf import json_format

    try:
        message = json_format.ParseDict(body, Service.pb()(), ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        raise invalid(f"Invalid JSON payload received. {exc}") from None
    return json_format.MessageToDict(message)


class CloudRun:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    # --------------------------------------------------------- services

    def create(self, parent: str, service_id: str, body: dict[str, Any], validate_only: bool) -> dict[str, Any]:
        if not _SERVICE_ID.match(service_id):
            raise invalid(f"serviceId '{service_id}' must match {_SERVICE_ID.pattern}")
        name = f"{parent}/services/{service_id}"
        if self.state.find(SERVICES, name) is not None:
            raise already_exists(name)
        spec = self._spec(body)
        service = {"name": name, "uid": str(uuid.uuid4()), "generation": "0", "createTime": now(), "creator": CALLER}
        return self._change(service, spec, validate_only)

    def update(self, name: str, body: dict[str, Any], mask: list[str] | None, validate_only: bool) -> dict[str, Any]:
        service = self.state.get(SERVICES, name)
        if body.get("etag") and body["etag"] != service.get("etag"):
            raise failed_precondition(f"The etag of {name} does not match: it changed since it was read")
        self._finish_pending(name)
        current_spec = {k: v for k, v in service.items() if k not in _OUTPUT_FIELDS and not k.startswith("_")}
        if mask is None:
            merged = body
        else:
            merged = dict(current_spec)
            for field in mask:
                top = field.split(".")[0]
                if top in body:
                    merged[top] = body[top]
                else:
                    merged.pop(top, None)
        return self._change(dict(service), self._spec(merged), validate_only)

    def delete(self, name: str) -> dict[str, Any]:
        service = self.state.get(SERVICES, name)
        self._finish_pending(name)
        return self._operation(name, {**service, "deleteTime": now(), "reconciling": True}, deleting=True)

    def _spec(self, body: dict[str, Any]) -> dict[str, Any]:
        spec = canonical({k: v for k, v in body.items() if k not in _OUTPUT_FIELDS})
        containers = spec.get("template", {}).get("containers", [])
        if not containers:
            raise invalid("service.template.containers: at least one container is required")
        for index, container in enumerate(containers):
            if not container.get("image"):
                raise invalid(f"service.template.containers[{index}].image is required")
        return spec

    def _change(self, service: dict[str, Any], spec: dict[str, Any], validate_only: bool) -> dict[str, Any]:
        """Apply a new spec: maybe a new revision, always a new generation and an operation."""
        name = service["name"]
        project_number = self.ctx.settings.project_number
        template = spec["template"]
        template.setdefault("serviceAccount", f"{project_number}-compute@developer.gserviceaccount.com")
        template.setdefault("timeout", "300s")
        template.setdefault("maxInstanceRequestConcurrency", 80)
        template.setdefault("scaling", {}).setdefault("maxInstanceCount", 100)
        for container in template["containers"]:
            container.setdefault("ports", [{"name": "http1", "containerPort": 8080}])
        spec.setdefault("ingress", "INGRESS_TRAFFIC_ALL")
        spec.setdefault("launchStage", "GA")
        old_template = service.get("template")
        generation = int(service.get("generation", "0")) + 1
        new_revision = None
        if _without_revision(template) != _without_revision(old_template or {}):
            new_revision = self._revision_name(service, template, generation)
        spec.setdefault("traffic", [{"type": LATEST, "percent": 100}])
        self._check_traffic(name, spec["traffic"], new_revision)
        service.update(spec)
        for key in [k for k in service if k not in _OUTPUT_FIELDS and k not in spec and not k.startswith("_")]:
            del service[key]
        service.update(
            generation=str(generation), updateTime=now(), lastModifier=CALLER, reconciling=True,
            uri=self.ctx.settings.api_url, urls=[self.ctx.settings.api_url],
            terminalCondition=_condition("Ready", "CONDITION_RECONCILING"),
            conditions=[_condition("RoutesReady", "CONDITION_RECONCILING"),
                        _condition("ConfigurationsReady", "CONDITION_RECONCILING")],
        )
        if new_revision:
            service["latestCreatedRevision"] = f"{name}/revisions/{new_revision}"
        service["etag"] = f'"{hashlib.sha256(json.dumps(public(service), sort_keys=True).encode()).hexdigest()[:16]}"'
        if validate_only:
            return {"name": f"{_location(name)}/operations/validate-only", "done": True,
                    "metadata": _any(service), "response": _any(service)}
        self.state.put(SERVICES, name, service)
        if new_revision:
            self._put_revision(service, new_revision)
        return self._operation(name, service)

    def _revision_name(self, service: dict[str, Any], template: dict[str, Any], generation: int) -> str:
        service_id = service["name"].rsplit("/", 1)[1]
        wanted = template.get("revision")
        if wanted:
            if not wanted.startswith(f"{service_id}-"):
                raise invalid(f"template.revision must start with '{service_id}-'")
            if self.state.find(REVISIONS, f"{service['name']}/revisions/{wanted}") is not None:
                raise already_exists(f"{service['name']}/revisions/{wanted}")
            return str(wanted)
        digest = hashlib.sha256(f"{service['uid']}:{generation}".encode()).digest()
        suffix = "".join(chr(ord("a") + b % 26) for b in digest[:3])
        return f"{service_id}-{generation:05d}-{suffix}"

    def _put_revision(self, service: dict[str, Any], revision_id: str) -> None:
        template = service["template"]
        name = f"{service['name']}/revisions/{revision_id}"
        revision = {
            "name": name, "uid": str(uuid.uuid4()), "generation": "1", "createTime": now(),
            "launchStage": service.get("launchStage", "GA"), "service": service["name"],
            "scaling": template.get("scaling", {}), "containers": template["containers"],
            "maxInstanceRequestConcurrency": template["maxInstanceRequestConcurrency"],
            "timeout": template["timeout"], "serviceAccount": template["serviceAccount"],
            "conditions": [_condition("Ready", "CONDITION_RECONCILING")], "reconciling": True,
        }
        self.state.put(REVISIONS, name, revision)

    def _check_traffic(self, service: str, traffic: list[dict[str, Any]], new_revision: str | None) -> None:
        total = 0
        for index, target in enumerate(traffic):
            kind = target.get("type", "TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED")
            if kind == REVISION:
                revision = target.get("revision")
                known = revision == new_revision or self.state.find(REVISIONS, f"{service}/revisions/{revision}")
                if not revision or not known:
                    raise invalid(f"service.traffic[{index}].revision: revision '{revision}' does not exist")
            elif kind != LATEST:
                raise invalid(f"service.traffic[{index}].type must be LATEST or REVISION")
            total += int(target.get("percent", 0))
        if total != 100:
            raise invalid(f"service.traffic: percents must add up to 100, not {total}")

    # ------------------------------------------------------- operations

    def _operation(self, service_name: str, service: dict[str, Any], deleting: bool = False) -> dict[str, Any]:
        name = f"{_location(service_name)}/operations/{uuid.uuid4()}"
        operation = {
            "name": name, "done": False, "metadata": _any(service),
            "_service": service_name, "_pollsLeft": self.ctx.settings.operation_polls, "_deleting": deleting,
        }
        self.state.put(OPERATIONS, name, operation)
        if operation["_pollsLeft"] == 0:
            self._finish(operation)
        return operation

    def poll(self, name: str) -> dict[str, Any]:
        operation = self.state.get(OPERATIONS, name)
        if not operation["done"]:
            operation["_pollsLeft"] -= 1
            if operation["_pollsLeft"] <= 0:
                self._finish(operation)
        return operation

    def wait(self, name: str) -> dict[str, Any]:
        operation = self.state.get(OPERATIONS, name)
        if not operation["done"]:
            self._finish(operation)
        return operation

    def _finish_pending(self, service_name: str) -> None:
        for operation in list(self.state.resources.get(OPERATIONS, {}).values()):
            if operation["_service"] == service_name and not operation["done"]:
                self._finish(operation)

    def _finish(self, operation: dict[str, Any]) -> None:
        name = operation["_service"]
        if operation["_deleting"]:
            service = self.state.delete(SERVICES, name)
            for revision in [r for r in self.state.resources.get(REVISIONS, {}) if r.startswith(name + "/")]:
                self.state.delete(REVISIONS, revision)
            self._forget_deployment(name)
            result = {**service, "deleteTime": now()}
        else:
            result = self._ready(self.state.get(SERVICES, name))
        operation.update(done=True, metadata=_any(result), response=_any(result))

    def _ready(self, service: dict[str, Any]) -> dict[str, Any]:
        latest = service.get("latestCreatedRevision")
        if latest:
            revision = self.state.get(REVISIONS, latest)
            revision.update(reconciling=False, observedGeneration="1",
                            conditions=[_condition("Ready", "CONDITION_SUCCEEDED")])
            service["latestReadyRevision"] = latest
        statuses = []
        for target in service["traffic"]:
            status = {k: v for k, v in target.items() if k in ("type", "revision", "percent", "tag")}
            if status.get("tag"):
                status["uri"] = self.ctx.settings.api_url
            statuses.append(status)
        service.update(
            reconciling=False, observedGeneration=service["generation"], trafficStatuses=statuses,
            terminalCondition=_condition("Ready", "CONDITION_SUCCEEDED"),
            conditions=[_condition("RoutesReady", "CONDITION_SUCCEEDED"),
                        _condition("ConfigurationsReady", "CONDITION_SUCCEEDED")],
        )
        self._record_deployment(service)
        return service

    # ---------------------------------------- what the Lucky API reports

    def _serving(self, service: dict[str, Any]) -> list[dict[str, Any]]:
        ready = service.get("latestReadyRevision", "")
        shares: dict[str, int] = {}
        for target in service["traffic"]:
            revision = ready.rsplit("/", 1)[-1] if target.get("type") == LATEST else target["revision"]
            shares[revision] = shares.get(revision, 0) + int(target.get("percent", 0))
        return [{"revision": r, "percent": p} for r, p in shares.items() if p]

    def _record_deployment(self, service: dict[str, Any]) -> None:
        serving = self._serving(service)
        main = max(serving, key=lambda s: s["percent"])["revision"]  # the traffic check guarantees 100 %
        revision = self.state.get(REVISIONS, f"{service['name']}/revisions/{main}")
        record = {"service": service["name"], "revision": main, "image": revision["containers"][0]["image"],
                  "traffic": serving}
        target = self.ctx.paths.deployments_dir / f"{service['name'].rsplit('/', 1)[1]}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, indent=2))
        os.replace(temporary, target)

    def _forget_deployment(self, service_name: str) -> None:
        (self.ctx.paths.deployments_dir / f"{service_name.rsplit('/', 1)[1]}.json").unlink(missing_ok=True)


def _without_revision(template: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in template.items() if k != "revision"}


def _condition(kind: str, state: str) -> dict[str, Any]:
    return {"type": kind, "state": state, "lastTransitionTime": now()}


def _location(service_name: str) -> str:
    return service_name.split("/services/")[0]


def _present(service: dict[str, Any]) -> dict[str, Any]:
    return canonical(public(service))


def _any(service: dict[str, Any]) -> dict[str, Any]:
    """The service packed in a ``google.protobuf.Any``, as operations carry it."""
    return {"@type": SERVICE_TYPE, **_present(service)}


def router(ctx: ApiContext) -> APIRouter:
    api = APIRouter()
    run = CloudRun(ctx)
    base = "/v2/projects/{project}/locations/{location}"
    iam = policy_verbs()

    def location(request: Request) -> str:
        params = request.path_params
        return f"projects/{ctx.project(params['project'])}/locations/{params['location']}"

    def flag(request: Request, name: str) -> bool:
        return request.query_params.get(name, "false").lower() == "true"

    @api.post(base + "/services")
    async def create_service(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        operation = run.create(location(request), request.query_params.get("serviceId", ""), body,
                               flag(request, "validateOnly"))
        return public(operation)

    @api.get(base + "/services")
    async def list_services(request: Request) -> dict[str, Any]:
        services = [_present(s) for s in ctx.state.children(SERVICES, location(request))]
        return page(services, request, "services")

    @api.api_route(base + "/services/{service_id}", methods=["GET", "PATCH", "DELETE", "POST"])
    async def service(request: Request) -> dict[str, Any]:
        service_id, verb = split_verb(request.path_params["service_id"])
        name = f"{location(request)}/services/{service_id}"
        if verb is not None:
            handler = iam.get((request.method, verb))
            if handler is None:
                raise not_found(f"{name}:{verb}")
            ctx.state.get(SERVICES, name)
            return await handler(ctx, request, name)
        if request.method == "GET":
            return _present(ctx.state.get(SERVICES, name))
        if request.method == "DELETE":
            return public(run.delete(name))
        if request.method != "PATCH":
            raise not_found(name)
        body = await json_body(request)
        if body.get("name") and body["name"] != name:
            raise invalid(f"service.name '{body['name']}' does not match the URL")
        mask = request.query_params.get("updateMask")
        fields = [f.strip() for f in mask.split(",") if f.strip()] if mask else None
        if ctx.state.find(SERVICES, name) is None and flag(request, "allowMissing"):
            return public(run.create(location(request), service_id, body, flag(request, "validateOnly")))
        return public(run.update(name, body, fields, flag(request, "validateOnly")))

    @api.get(base + "/services/{service_id}/revisions")
    async def list_revisions(request: Request) -> dict[str, Any]:
        parent = f"{location(request)}/services/{request.path_params['service_id']}"
        ctx.state.get(SERVICES, parent)
        return page(list(ctx.state.children(REVISIONS, parent)), request, "revisions")

    @api.get(base + "/services/{service_id}/revisions/{revision_id}")
    async def get_revision(request: Request) -> dict[str, Any]:
        parent = f"{location(request)}/services/{request.path_params['service_id']}"
        return public(ctx.state.get(REVISIONS, f"{parent}/revisions/{request.path_params['revision_id']}"))

    @api.get(base + "/operations")
    async def list_operations(request: Request) -> dict[str, Any]:
        return page(list(ctx.state.children(OPERATIONS, location(request))), request, "operations")

    @api.api_route(base + "/operations/{operation_id}", methods=["GET", "DELETE", "POST"])
    async def operation(request: Request) -> dict[str, Any]:
        operation_id, verb = split_verb(request.path_params["operation_id"])
        name = f"{location(request)}/operations/{operation_id}"
        if request.method == "GET" and verb is None:
            return public(run.poll(name))
        if request.method == "DELETE" and verb is None:
            ctx.state.delete(OPERATIONS, name)
            return {}
        if request.method == "POST" and verb == "wait":
            return public(run.wait(name))
        raise not_found(f"{name}:{verb}" if verb else name)

    return api
