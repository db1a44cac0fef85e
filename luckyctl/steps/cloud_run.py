"""The ``cloud_run`` step: describe a Cloud Run service, deploy it, or split its traffic.

Actions:

- ``describe``: read the service;
- ``deploy``: create the service when it does not exist, else update it —
  ``image`` (the first container's), ``env`` (added to or replacing the
  variables of that name; others are kept), ``min_instances`` /
  ``max_instances`` (the revision template's scaling), and ``traffic`` when
  given (else Cloud Run's rule: a service sending 100 % to the latest
  revision sends it to the new one) — then wait for the operation;
- ``traffic``: set the split, e.g. ``[{revision: null, percent: 10},
  {revision: "${saved:previous}", percent: 90}]`` (null = the latest ready
  revision), then wait for the operation.

The service is ``projects/{gcp.project}/locations/{region}/services/{service}``;
``region`` comes from the step or the plan's var ``region``.

``expect`` keys (all optional; values use the expectation language of
``luckyctl.steps.expect`` except ``ready`` and ``url_contains``):

- ``ready``: true when the terminal condition is ``Ready`` and succeeded;
- ``url_contains``: a text the service's URL contains;
- ``image``: the first container's image;
- ``revision``: the latest ready revision's short name;
- ``min_instances``, ``max_instances``: the revision template's scaling (absent = 0);
- ``traffic``: ``{latest: 100}`` or ``{<revision>: percent}`` — the percent
  each revision serves (``latest`` = the latest ready revision, however it
  is targeted; a revision without traffic serves 0);
- any other key: a dotted path into the service JSON (``template.timeout``,
  ``ingress``, ``terminalCondition.state``, …).

Evidence: outputs ``service`` (resource name), ``revision`` (latest ready,
short name), ``uri``, ``image``, ``conditions``, ``traffic`` (``{revision:
percent}``), ``json`` (the whole service), and for ``deploy``
``previous_revision`` and ``created``; metric ``deploy_seconds`` (request to
operation done) for ``deploy``. A describe of a service that does not exist is
FAILED (``Cloud Run: 404 NOT_FOUND: Resource '…/services/api' was not found``);
any other error answer, a timeout or a refused connection is an ERROR.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from luckyctl.errors import StepError
from luckyctl.gcp import cloud_run as api
from luckyctl.gcp.errors import Cancelled, describe_error
from luckyctl.model import CloudRunSpec, Plan, StepStatus
from luckyctl.steps import expect
from luckyctl.steps.base import StepContext, StepOutcome

if TYPE_CHECKING:
    from google.cloud import run_v2

SERVICE = "Cloud Run"
_SUCCEEDED = "CONDITION_SUCCEEDED"
_LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
_COMPARED = ("image", "revision", "min_instances", "max_instances")  # keys compared in the expectation language


def run_cloud_run(spec: CloudRunSpec, ctx: StepContext) -> StepOutcome:
    """Carry out the action; PASSED when the service then meets ``expect``."""
    parent = _parent(spec, ctx.plan)
    name = f"{parent}/services/{spec.service}"
    _validate(spec)
    deadline = api.Deadline.after(ctx.timeout, ctx.cancel)
    metrics: dict[str, float] = {}
    extra: dict[str, Any] = {}
    try:
        client = api.run_client(ctx)
        if spec.action == "describe":
            service = api.get_service(client, name, deadline)
        elif spec.action == "deploy":
            started = time.monotonic()
            service, extra = _deploy(client, spec, parent, name, deadline)
            metrics["deploy_seconds"] = round(time.monotonic() - started, 3)
        else:
            service = api.update_service(client, _with_traffic(api.get_service(client, name, deadline), spec), deadline)
    except Cancelled as exc:
        return StepOutcome(StepStatus.ERROR, str(exc))
    except Exception as exc:  # converted at this edge: Google's answers, timeouts, refused connections
        summary = describe_error(exc, SERVICE, timeout=ctx.timeout)
        if summary is None:
            raise
        missing = spec.action == "describe" and api.is_not_found(exc)  # the check ran: there is no such service
        return StepOutcome(StepStatus.FAILED if missing else StepStatus.ERROR, summary)
    return _outcome(spec, api.as_json(service), extra, metrics)


def _parent(spec: CloudRunSpec, plan: Plan) -> str:
    project = plan.gcp.project
    if not project:
        raise StepError(f"plan '{plan.name}' has no gcp.project: the cloud_run step needs the project")
    region = spec.region or plan.vars.get("region")
    if not region:
        raise StepError("the cloud_run step needs a region: give 'region', or set var 'region' in the plan")
    return f"projects/{project}/locations/{region}"


def _validate(spec: CloudRunSpec) -> None:
    """Spec errors before anything is sent: a traffic action without targets, unreadable expectations."""
    if spec.action == "traffic" and not spec.traffic:
        raise StepError("a cloud_run traffic action needs 'traffic': [{revision, percent}, …]")
    for key, value in spec.expect.items():
        if key == "traffic":
            if not isinstance(value, Mapping):
                raise StepError("cloud_run expect.traffic is a mapping: {latest: 100} or {<revision>: percent}")
            for percent in value.values():
                expect.parse(percent)
        elif key == "ready":
            if not isinstance(value, bool):
                raise StepError("cloud_run expect.ready is true or false")
        elif key == "url_contains":
            if not isinstance(value, str):
                raise StepError("cloud_run expect.url_contains is a text")
        else:
            expect.parse(value)


def _deploy(
    client: run_v2.ServicesClient, spec: CloudRunSpec, parent: str, name: str, deadline: api.Deadline
) -> tuple[run_v2.Service, dict[str, Any]]:
    from google.cloud import run_v2

    current = api.find_service(client, name, deadline)
    if current is None:
        if not spec.image:
            raise StepError(f"service {spec.service} does not exist yet: its first deploy needs 'image'")
        service = _with_traffic(_with_template(run_v2.Service(), spec), spec)
        created = api.create_service(client, parent, spec.service, service, deadline)
        return created, {"created": True, "previous_revision": None}
    previous = api.short_name(current.latest_ready_revision) if current.latest_ready_revision else None
    updated = api.update_service(client, _with_traffic(_with_template(current, spec), spec), deadline)
    return updated, {"created": False, "previous_revision": previous}


def _with_template(service: run_v2.Service, spec: CloudRunSpec) -> run_v2.Service:
    """The service with the step's image, env and scaling written into its revision template."""
    from google.cloud import run_v2

    template = service.template
    template.revision = ""  # a new revision gets a new name; reusing the current one would be refused
    if not template.containers:
        template.containers.append(run_v2.Container())
    container = template.containers[0]
    if spec.image:
        container.image = spec.image
    for variable, value in spec.env.items():
        existing = next((item for item in container.env if item.name == variable), None)
        if existing is None:
            container.env.append(run_v2.EnvVar(name=variable, value=value))
        else:
            existing.value = value  # also drops a secret reference the variable had
    if spec.min_instances is not None:
        template.scaling.min_instance_count = spec.min_instances
    if spec.max_instances is not None:
        template.scaling.max_instance_count = spec.max_instances
    return service


def _with_traffic(service: run_v2.Service, spec: CloudRunSpec) -> run_v2.Service:
    if spec.traffic:
        service.traffic = api.traffic_targets(spec.traffic)
    return service


# ---------------------------------------------------------------- evidence and expectations


def _outcome(
    spec: CloudRunSpec, document: dict[str, Any], extra: dict[str, Any], metrics: dict[str, float]
) -> StepOutcome:
    outputs = {**_evidence(document), **extra, "json": document}
    failures = _check(spec.expect, document, outputs)
    if failures:
        outputs["failures"] = failures
        summary = f"{SERVICE} {spec.service}: {expect.summarize(failures)}"
        return StepOutcome(StepStatus.FAILED, summary, outputs=outputs, metrics=metrics)
    return StepOutcome(StepStatus.PASSED, _summary(spec, outputs, metrics), outputs=outputs, metrics=metrics)


def _evidence(document: dict[str, Any]) -> dict[str, Any]:
    latest = api.short_name(document.get("latestReadyRevision", "")) or None
    conditions = [document["terminalCondition"]] if "terminalCondition" in document else []
    conditions += document.get("conditions", [])
    return {
        "service": document.get("name"),
        "revision": latest,
        "uri": document.get("uri"),
        "image": _found(document, "template.containers.0.image"),
        "conditions": [
            {key: condition[key] for key in ("type", "state", "reason", "message") if key in condition}
            for condition in conditions
        ],
        "traffic": _traffic_split(document, latest),
    }


def _found(document: dict[str, Any], path: str, default: Any = None) -> Any:
    value = expect.lookup(document, path)
    return default if value is expect.MISSING else value


def _traffic_split(document: dict[str, Any], latest: str | None) -> dict[str, int]:
    """``{revision: percent}`` as Cloud Run reports it serving (the targets while it has no status yet)."""
    split: dict[str, int] = {}
    for target in document.get("trafficStatuses") or document.get("traffic", []):
        if target.get("type") == _LATEST and not target.get("revision"):
            revision = latest or "latest"
        else:
            revision = api.short_name(target.get("revision", "")) or "unknown"
        split[revision] = split.get(revision, 0) + int(target.get("percent", 0))
    return split


def _is_ready(document: dict[str, Any]) -> bool:
    condition = document.get("terminalCondition", {})
    return bool(condition.get("type") == "Ready" and condition.get("state") == _SUCCEEDED)


def _check(expected: dict[str, Any], document: dict[str, Any], outputs: dict[str, Any]) -> list[str]:
    failures: list[str] = []
    for key, value in expected.items():
        if key == "ready":
            if _is_ready(document) != value:
                condition = document.get("terminalCondition", {})
                state = condition.get("state", "no terminal condition")
                detail = f" ({state}: {condition['message']})" if condition.get("message") else f" ({state})"
                failures.append(f"ready: expected {str(value).lower()}, got {str(not value).lower()}{detail}")
        elif key == "url_contains":
            if value not in (outputs["uri"] or ""):
                failures.append(f"url: expected it to contain {value!r}, got {expect.describe(outputs['uri'])}")
        elif key == "traffic":
            failures.extend(_check_traffic(value, outputs))
        elif key in _COMPARED:
            actual = _scaling(document, key) if key.endswith("_instances") else outputs[key]
            failure = expect.check(actual, value)
            if failure:
                failures.append(f"{key}: {failure}")
        else:
            failures.extend(expect.check_paths(document, {key: value}))
    return failures


def _scaling(document: dict[str, Any], key: str) -> int:
    """The template's instance bound; proto3 JSON leaves out a 0."""
    field = "minInstanceCount" if key == "min_instances" else "maxInstanceCount"
    return int(_found(document, f"template.scaling.{field}", 0))


def _check_traffic(wanted: Mapping[str, Any], outputs: dict[str, Any]) -> list[str]:
    split: dict[str, int] = outputs["traffic"]
    failures = []
    for revision, percent in wanted.items():
        served_by = outputs["revision"] if revision == "latest" else revision
        failure = expect.check(split.get(served_by or "latest", 0), percent)
        if failure:
            failures.append(f"traffic.{revision}: {failure} (split: {_describe_split(split)})")
    return failures


def _describe_split(split: dict[str, int]) -> str:
    return ", ".join(f"{revision} {percent}%" for revision, percent in split.items()) or "none"


def _summary(spec: CloudRunSpec, outputs: dict[str, Any], metrics: dict[str, float]) -> str:
    split = _describe_split(outputs["traffic"])
    if spec.action == "deploy":
        verb = "created" if outputs["created"] else "deployed"
        return (
            f"{SERVICE} {spec.service}: {verb} revision {outputs['revision']} in {metrics['deploy_seconds']:g} s; "
            f"traffic {split}"
        )
    return f"{SERVICE} {spec.service}: revision {outputs['revision']}, traffic {split}, {outputs['uri']}"
