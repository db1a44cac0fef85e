"""Cloud Monitoring v3 stand-in.

Uptime checks, alert policies, notification channels (``pagerduty``,
``email``, ``slack``, …; secret labels come back masked, as on Google),
services with their SLOs, read-only alerts (seedable), the channel
descriptors and a synthetic ``timeSeries`` list for uptime checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request

from luckyctl.sandbox.google_apis.errors import invalid
from luckyctl.sandbox.google_apis.standard_methods import Collection, add_collection
from luckyctl.sandbox.google_apis.state import ApiContext, now

UPTIME = "monitoring.uptimeCheckConfigs"
ALERT_POLICIES = "monitoring.alertPolicies"
CHANNELS = "monitoring.notificationChannels"
SERVICES = "monitoring.services"
SLOS = "monitoring.serviceLevelObjectives"
ALERTS = "monitoring.alerts"
UPTIME_METRIC = "monitoring.googleapis.com/uptime_check/check_passed"
# channel type -> (required labels, labels masked in responses)
CHANNEL_TYPES = {
    "pagerduty": (("service_key",), ("service_key",)),
    "email": (("email_address",), ()),
    "slack": (("channel_name",), ("auth_token",)),
    "sms": (("number",), ()),
    "webhook_tokenauth": (("url",), ()),
    "pubsub": (("topic",), ()),
}
MASK = "**************"


def _record() -> dict[str, str]:
    return {"mutateTime": now(), "mutatedBy": "sandbox-caller@luckyctl.invalid"}


def _uptime_check(_ctx: ApiContext, _name: str, check: dict[str, Any]) -> dict[str, Any]:
    if not check.get("displayName"):
        raise invalid("uptimeCheckConfig.displayName is required")
    if not ({"httpCheck", "tcpCheck"} & set(check)):
        raise invalid("uptimeCheckConfig needs an httpCheck or a tcpCheck")
    if not ({"monitoredResource", "resourceGroup", "syntheticMonitor"} & set(check)):
        raise invalid("uptimeCheckConfig needs a monitoredResource (e.g. type uptime_url)")
    check.setdefault("period", "60s")
    check.setdefault("timeout", "10s")
    check.setdefault("checkerType", "STATIC_IP_CHECKERS")
    return check


def _alert_policy(_ctx: ApiContext, _name: str, policy: dict[str, Any]) -> dict[str, Any]:
    if not policy.get("displayName"):
        raise invalid("alertPolicy.displayName is required")
    if not policy.get("conditions"):
        raise invalid("alertPolicy.conditions must hold at least one condition")
    if policy.get("combiner", "OR") not in ("AND", "OR", "AND_WITH_MATCHING_RESOURCE"):
        raise invalid("alertPolicy.combiner must be AND, OR or AND_WITH_MATCHING_RESOURCE")
    policy.setdefault("combiner", "OR")
    policy.setdefault("enabled", True)
    policy.setdefault("creationRecord", _record())
    policy["mutationRecord"] = _record()
    for index, condition in enumerate(policy["conditions"]):
        condition.setdefault("name", f"{policy['name']}/conditions/{index + 1}")
    return policy


def _channel(_ctx: ApiContext, _name: str, channel: dict[str, Any]) -> dict[str, Any]:
    kind = channel.get("type")
    if kind not in CHANNEL_TYPES:
        raise invalid(f"notificationChannel.type must be one of {sorted(CHANNEL_TYPES)}")
    required, _masked = CHANNEL_TYPES[kind]
    missing = [label for label in required if not channel.get("labels", {}).get(label)]
    if missing:
        raise invalid(f"notificationChannel of type {kind} needs the labels {missing}")
    channel.setdefault("enabled", True)
    channel.setdefault("verificationStatus", "VERIFICATION_STATUS_UNSPECIFIED")
    channel["creationRecord"] = channel.get("creationRecord") or _record()
    return channel


def _masked_channel(_ctx: ApiContext, _name: str, channel: dict[str, Any]) -> dict[str, Any]:
    _required, masked = CHANNEL_TYPES.get(channel.get("type", ""), ((), ()))
    labels = {k: MASK if k in masked else v for k, v in channel.get("labels", {}).items()}
    return {**channel, "labels": labels}


def _slo(ctx: ApiContext, name: str, slo: dict[str, Any]) -> dict[str, Any]:
    ctx.state.get(SERVICES, name.split("/serviceLevelObjectives/")[0])
    goal = slo.get("goal")
    if not isinstance(goal, int | float) or not 0 < goal < 1:
        raise invalid("serviceLevelObjective.goal must be above 0 and below 1 (e.g. 0.999)")
    if not ({"rollingPeriod", "calendarPeriod"} & set(slo)):
        raise invalid("serviceLevelObjective needs a rollingPeriod or a calendarPeriod")
    if "serviceLevelIndicator" not in slo:
        raise invalid("serviceLevelObjective.serviceLevelIndicator is required")
    return slo


def _descriptors(project: str) -> list[dict[str, Any]]:
    return [
        {"name": f"projects/{project}/notificationChannelDescriptors/{kind}", "type": kind,
         "displayName": kind.replace("_", " ").title(), "labels": [{"key": label} for label in required],
         "supportedTiers": ["SERVICE_TIER_BASIC"], "launchStage": "GA"}
        for kind, (required, _masked) in CHANNEL_TYPES.items()
    ]


def _uptime_series(ctx: ApiContext, project: str, request: Request) -> list[dict[str, Any]]:
    """One series per uptime check, every point passing, over the asked interval (at most 60 points)."""
    end = request.query_params.get("interval.endTime") or now()
    start = request.query_params.get("interval.startTime") or end
    series = []
    for check in ctx.state.children(UPTIME, f"projects/{project}"):
        check_id = check["name"].rsplit("/", 1)[1]
        series.append({
            "metric": {"type": UPTIME_METRIC, "labels": {"check_id": check_id, "checker_location": "asia-pacific"}},
            "resource": {"type": "uptime_url", "labels": {"project_id": project}},
            "metricKind": "GAUGE", "valueType": "BOOL",
            "points": [{"interval": {"startTime": t, "endTime": t}, "value": {"boolValue": True}}
                       for t in _minutes(start, end)],
        })
    return series


def _minutes(start: str, end: str) -> list[str]:
    def parse(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text)

    try:
        first, last = parse(start), parse(end)
    except ValueError:
        raise invalid("interval.startTime and interval.endTime must be RFC 3339 timestamps") from None
    times: list[str] = []
    moment = last
    while moment >= first and len(times) < 60:
        times.append(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
        moment -= dt.timedelta(minutes=1)
    return times


def router(ctx: ApiContext) -> APIRouter:
    api = APIRouter()
    project_parent = "projects/{project}"
    for collection in (
        Collection(UPTIME, "/v3", project_parent, "uptimeCheckConfigs", total_size=True,
                   on_create=_uptime_check, on_update=_uptime_check, etag=False),
        Collection(ALERT_POLICIES, "/v3", project_parent, "alertPolicies", total_size=True,
                   on_create=_alert_policy, on_update=_alert_policy, etag=False),
        Collection(CHANNELS, "/v3", project_parent, "notificationChannels", total_size=True,
                   on_create=_channel, on_update=_channel, present=_masked_channel, etag=False),
        Collection(SLOS, "/v3", "projects/{project}/services/{service}", "serviceLevelObjectives",
                   id_param="serviceLevelObjectiveId", on_create=_slo, on_update=_slo, etag=False),
        Collection(SERVICES, "/v3", project_parent, "services", id_param="serviceId", etag=False),
        Collection(ALERTS, "/v3", project_parent, "alerts", read_only=True, etag=False),
    ):
        add_collection(api, ctx, collection)

    @api.get("/v3/projects/{project}/notificationChannelDescriptors")
    async def descriptors(project: str) -> dict[str, Any]:
        return {"channelDescriptors": _descriptors(ctx.project(project))}

    @api.get("/v3/projects/{project}/timeSeries")
    async def time_series(request: Request, project: str) -> dict[str, Any]:
        project = ctx.project(project)
        metric_filter = request.query_params.get("filter", "")
        if "metric.type" not in metric_filter:
            raise invalid("filter must name a metric.type")
        series = _uptime_series(ctx, project, request) if UPTIME_METRIC in metric_filter else []
        return {"timeSeries": series} if series else {}

    return api
