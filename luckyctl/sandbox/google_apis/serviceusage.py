"""Service Usage stand-in: enable/disable/get/list APIs (v1) and consumer quota metrics (v1beta1).

Operations finish at once (``done: true``), which the real API also often
does. Quota metrics exist for the APIs the roadmap caps: the Routes API and
Vertex AI. A consumer override may only lower a limit, as on Google.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Request

from luckyctl.sandbox.google_apis.errors import invalid, not_found, permission_denied
from luckyctl.sandbox.google_apis.state import (
    ApiContext,
    json_body,
    now,
    page,
    split_verb,
)

ENABLED = "serviceusage.enabled"
OVERRIDES = "serviceusage.consumerOverrides"
KNOWN_TITLES = {
    "aiplatform.googleapis.com": "Vertex AI API",
    "routes.googleapis.com": "Routes API",
    "run.googleapis.com": "Cloud Run Admin API",
    "sqladmin.googleapis.com": "Cloud SQL Admin API",
    "secretmanager.googleapis.com": "Secret Manager API",
    "iam.googleapis.com": "Identity and Access Management (IAM) API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "serviceusage.googleapis.com": "Service Usage API",
    "billingbudgets.googleapis.com": "Cloud Billing Budget API",
    "cloudbilling.googleapis.com": "Cloud Billing API",
    "monitoring.googleapis.com": "Cloud Monitoring API",
    "logging.googleapis.com": "Cloud Logging API",
    "securitycenter.googleapis.com": "Security Command Center API",
    "storage.googleapis.com": "Cloud Storage API",
    "redis.googleapis.com": "Google Cloud Memorystore for Redis API",
    "compute.googleapis.com": "Compute Engine API",
    "artifactregistry.googleapis.com": "Artifact Registry API",
    "cloudbuild.googleapis.com": "Cloud Build API",
    "maps-backend.googleapis.com": "Maps JavaScript API",
    "apikeys.googleapis.com": "API Keys API",
}
# What a new project has on: the roadmap enables the rest.
ENABLED_AT_START = (
    "serviceusage.googleapis.com", "cloudresourcemanager.googleapis.com", "logging.googleapis.com",
    "monitoring.googleapis.com", "storage.googleapis.com",
)
@dataclass(frozen=True)
class QuotaMetric:
    display_name: str
    limit_id: str  # e.g. "/min/project"
    unit: str  # e.g. "1/min/{project}"
    default_limit: int


QUOTA_METRICS = {
    "routes.googleapis.com": {
        "routes.googleapis.com/compute_route_requests":
            QuotaMetric("Compute Route requests", "/min/project", "1/min/{project}", 3000),
        "routes.googleapis.com/compute_route_matrix_elements":
            QuotaMetric("Compute Route Matrix elements", "/min/project", "1/min/{project}", 3000),
    },
    "aiplatform.googleapis.com": {
        "aiplatform.googleapis.com/online_prediction_requests":
            QuotaMetric("Online prediction requests per region", "/min/project/region",
                        "1/min/{project}/{region}", 30000),
        "aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model":
            QuotaMetric("Generate content requests per minute per base model", "/min/project/region/base_model",
                        "1/min/{project}/{region}/{base_model}", 200),
    },
}


class ServiceUsage:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.state = ctx.state
        if ctx.state.fresh:
            for service in ENABLED_AT_START:
                name = f"projects/{ctx.settings.project}/services/{service}"
                self.state.put(ENABLED, name, {"name": name, "enabledTime": now()})

    def service(self, project: str, service: str) -> dict[str, Any]:
        if not service.endswith(".googleapis.com"):
            raise permission_denied(f"Not found or permission denied for service(s): {service}.")
        name = f"projects/{self.ctx.project(project)}/services/{service}"
        enabled = self.state.find(ENABLED, name) is not None
        return {
            "name": f"projects/{self.ctx.settings.project_number}/services/{service}",
            "parent": f"projects/{self.ctx.settings.project_number}",
            "config": {"name": service, "title": KNOWN_TITLES.get(service, service)},
            "state": "ENABLED" if enabled else "DISABLED",
        }

    def set_enabled(self, project: str, service: str, enabled: bool) -> dict[str, Any]:
        resource = self.service(project, service)
        name = f"projects/{self.ctx.settings.project}/services/{service}"
        if enabled:
            self.state.put(ENABLED, name, {"name": name, "enabledTime": now()})
        elif self.state.find(ENABLED, name) is not None:
            self.state.delete(ENABLED, name)
        resource["state"] = "ENABLED" if enabled else "DISABLED"
        kind = "EnableServiceResponse" if enabled else "DisableServiceResponse"
        return _done({"@type": f"type.googleapis.com/google.api.serviceusage.v1.{kind}", "service": resource})

    def listing(self, project: str, state_filter: str | None) -> list[dict[str, Any]]:
        project = self.ctx.project(project)
        services = sorted(set(KNOWN_TITLES) | {n.rsplit("/", 1)[1] for n in self.state.resources.get(ENABLED, {})})
        items = [self.service(project, s) for s in services]
        if state_filter:
            items = [s for s in items if s["state"] == state_filter]
        return items

    # -------------------------------------------------------- quotas

    def _metric_name(self, service: str, metric: str) -> str:
        number = self.ctx.settings.project_number
        return f"projects/{number}/services/{service}/consumerQuotaMetrics/{quote(metric, safe='')}"

    def _limit_name(self, service: str, metric: str, limit_id: str) -> str:
        return f"{self._metric_name(service, metric)}/limits/{quote(limit_id, safe='')}"

    def _spec(self, project: str, service: str, metric: str) -> QuotaMetric:
        self.ctx.project(project)
        spec = QUOTA_METRICS.get(service, {}).get(metric)
        if spec is None:
            raise not_found(self._metric_name(service, metric))
        return spec

    def metrics(self, project: str, service: str) -> list[dict[str, Any]]:
        self.ctx.project(project)
        return [self.metric(project, service, metric) for metric in QUOTA_METRICS.get(service, {})]

    def metric(self, project: str, service: str, metric: str) -> dict[str, Any]:
        spec = self._spec(project, service, metric)
        limit_name = self._limit_name(service, metric, spec.limit_id)
        bucket: dict[str, Any] = {"effectiveLimit": str(spec.default_limit), "defaultLimit": str(spec.default_limit)}
        overrides = list(self.state.children(OVERRIDES, limit_name))
        if overrides:
            bucket["consumerOverride"] = overrides[-1]
            bucket["effectiveLimit"] = overrides[-1]["overrideValue"]
        return {
            "name": self._metric_name(service, metric), "displayName": spec.display_name, "metric": metric,
            "unit": "1",
            "consumerQuotaLimits": [
                {"name": limit_name, "unit": spec.unit, "metric": metric, "isPrecise": True, "quotaBuckets": [bucket]}
            ],
        }

    def add_override(self, project: str, service: str, metric: str, limit_id: str,
                     body: dict[str, Any]) -> dict[str, Any]:
        spec = self._spec(project, service, metric)
        if spec.limit_id != limit_id:
            raise not_found(self._limit_name(service, metric, limit_id))
        try:
            value = int(body.get("overrideValue", ""))
        except ValueError:
            raise invalid("overrideValue must be a whole number") from None
        if not 0 <= value <= spec.default_limit:
            raise invalid(f"A consumer override can only lower a limit: overrideValue must be 0..{spec.default_limit}")
        name = f"{self._limit_name(service, metric, limit_id)}/consumerOverrides/{uuid.uuid4().hex[:12]}"
        override = {"name": name, "overrideValue": str(value), "metric": metric, "unit": spec.unit}
        if body.get("dimensions"):
            override["dimensions"] = body["dimensions"]
        self.state.put(OVERRIDES, name, override)
        return _done({"@type": "type.googleapis.com/google.api.serviceusage.v1beta1.QuotaOverride", **override})

    def overrides(self, project: str, service: str, metric: str, limit_id: str) -> list[dict[str, Any]]:
        self._spec(project, service, metric)
        return list(self.state.children(OVERRIDES, self._limit_name(service, metric, limit_id)))


def _done(response: dict[str, Any]) -> dict[str, Any]:
    return {"name": f"operations/acf.p2-sandbox-{uuid.uuid4().hex[:16]}", "done": True, "response": response}


def router(ctx: ApiContext) -> APIRouter:
    api = APIRouter()
    usage = ServiceUsage(ctx)

    @api.get("/v1/projects/{project}/services")
    async def list_services(request: Request, project: str) -> dict[str, Any]:
        wanted = request.query_params.get("filter", "").replace(" ", "").removeprefix("state:") or None
        return page(usage.listing(project, wanted), request, "services")

    @api.get("/v1/projects/{project}/services:batchGet")
    async def batch_get(request: Request, project: str) -> dict[str, Any]:
        names = request.query_params.getlist("names")
        return {"services": [usage.service(project, n.rsplit("/", 1)[1]) for n in names]}

    @api.post("/v1/projects/{project}/services:batchEnable")
    async def batch_enable(request: Request, project: str) -> dict[str, Any]:
        service_ids = (await json_body(request)).get("serviceIds", [])
        if not service_ids or len(service_ids) > 20:
            raise invalid("serviceIds must name 1 to 20 services")
        services = [usage.set_enabled(project, s, True)["response"]["service"] for s in service_ids]
        return _done({"@type": "type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse",
                      "services": services})

    @api.api_route("/v1/projects/{project}/services/{service}", methods=["GET", "POST"])
    async def one_service(request: Request, project: str, service: str) -> dict[str, Any]:
        service_id, verb = split_verb(service)
        if request.method == "GET" and verb is None:
            return usage.service(project, service_id)
        if request.method == "POST" and verb in ("enable", "disable"):
            return usage.set_enabled(project, service_id, verb == "enable")
        raise not_found(f"projects/{project}/services/{service}")

    @api.get("/v1/operations/{operation}")
    async def get_operation(operation: str) -> dict[str, Any]:
        # every Service Usage operation is done when returned; a later read finds it done
        return {"name": f"operations/{operation}", "done": True}

    @api.api_route("/v1beta1/{rest:path}", methods=["GET", "POST"])
    async def quotas(request: Request) -> dict[str, Any]:
        # Metric and limit ids hold "/" written as %2F, so the raw path is split, not the decoded one.
        raw = request.scope.get("raw_path", b"").decode().split("?")[0]
        parts = [unquote(p) for p in raw.split("/")[2:]]
        match parts:
            case ["projects", project, "services", service, "consumerQuotaMetrics"] if request.method == "GET":
                return page(usage.metrics(project, service), request, "metrics")
            case ["projects", project, "services", service, "consumerQuotaMetrics", metric] if request.method == "GET":
                return usage.metric(project, service, metric)
            case ["projects", project, "services", service, "consumerQuotaMetrics", metric, "limits", limit,
                  "consumerOverrides"]:
                if request.method == "POST":
                    return usage.add_override(project, service, metric, limit, await json_body(request))
                return page(usage.overrides(project, service, metric, limit), request, "overrides")
        raise not_found(raw)

    return api
