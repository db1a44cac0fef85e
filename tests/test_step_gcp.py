"""The gcp step: Google REST calls over httpx with the plan's credentials, against the sandbox's stand-ins."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine_roadmaps import Project, one_story, task
from helpers.sandbox import GOOGLE_APIS, add_fault, sandbox_plan
from luckyctl.errors import StepError
from luckyctl.model import GcpSpec, StepStatus
from luckyctl.sandbox.settings import SandboxSettings
from luckyctl.steps.base import StepContext
from luckyctl.steps.gcp import call_google_api

MakeContext = Callable[..., StepContext]
PROJECT = "projects/lucky-gas-sandbox"


def spec(**fields: Any) -> GcpSpec:
    return GcpSpec.model_validate(fields)


def test_service_usage_enable_then_get(google_step_context: MakeContext, google_url: str) -> None:
    ctx = google_step_context()
    api = f"step-test-{uuid.uuid4().hex[:6]}.googleapis.com"  # not one the sandbox's own tests expect disabled
    enabled = call_google_api(
        spec(
            api="serviceusage",
            method="post",
            path=f"/v1/{PROJECT}/services/{api}:enable",
            expect={"status": 200, "json": {"done": True, "response.service.state": "ENABLED"}},
        ),
        ctx,
    )
    assert enabled.status is StepStatus.PASSED, enabled.summary
    assert enabled.outputs["request"] == f"POST {google_url}/v1/{PROJECT}/services/{api}:enable"
    assert enabled.summary.startswith(f"POST {google_url}/v1/{PROJECT}/services/{api}:enable → 200 in ")

    got = call_google_api(
        spec(
            api="serviceusage",
            path=f"/v1/{PROJECT}/services/{api}",
            expect={"json": {"state": "ENABLED", "config.name": api}},
        ),
        ctx,
    )
    assert got.status is StepStatus.PASSED, got.summary
    assert got.outputs["status"] == 200 and got.outputs["json"]["state"] == "ENABLED"
    assert got.metrics["status_code"] == 200.0 and got.metrics["latency_ms"] > 0
    assert json.loads(got.artifacts["response"])["state"] == "ENABLED"

    listed = call_google_api(
        spec(
            api="serviceusage",
            path=f"/v1/{PROJECT}/services",
            params={"filter": "state:ENABLED"},
            expect={"json": {"services": "len >= 6"}},
        ),
        ctx,
    )
    assert listed.passed, listed.summary


def test_secret_manager_create_add_version_and_access(google_step_context: MakeContext) -> None:
    ctx = google_step_context()
    secret = f"maps-api-key-{uuid.uuid4().hex[:6]}"
    value = base64.b64encode(b"AIza-step-test").decode()
    steps = [
        spec(
            api="secretmanager",
            method="POST",
            path=f"/v1/{PROJECT}/secrets",
            params={"secretId": secret},
            json={"replication": {"automatic": {}}},
            expect={"json": {"name": f"{PROJECT}/secrets/{secret}"}},
        ),
        spec(
            api="secretmanager",
            method="POST",
            path=f"/v1/{PROJECT}/secrets/{secret}:addVersion",
            json={"payload": {"data": value}},
            expect={"json": {"state": "ENABLED"}},
        ),
        spec(
            api="secretmanager",
            path=f"/v1/{PROJECT}/secrets/{secret}/versions/latest:access",
            expect={"status": 200, "json": {"payload.data": value, "name": "~ /versions/1$"}},
        ),
    ]
    for step in steps:
        outcome = call_google_api(step, ctx)
        assert outcome.status is StepStatus.PASSED, outcome.summary


def test_monitoring_alert_policies(google_step_context: MakeContext) -> None:
    ctx = google_step_context()
    policy = {
        "displayName": "API 5xx rate",
        "combiner": "OR",
        "conditions": [
            {
                "displayName": "5xx > 1%",
                "conditionThreshold": {
                    "filter": 'metric.type="run.googleapis.com/request_count"',
                    "comparison": "COMPARISON_GT",
                    "thresholdValue": 0.01,
                    "duration": "60s",
                },
            }
        ],
    }
    created = call_google_api(
        spec(
            api="monitoring",
            method="POST",
            path=f"/v3/{PROJECT}/alertPolicies",
            json=policy,
            expect={"json": {"enabled": True, "conditions.0.name": "exists"}},
        ),
        ctx,
    )
    assert created.passed, created.summary
    listed = call_google_api(
        spec(
            api="monitoring",
            path=f"/v3/{PROJECT}/alertPolicies",
            expect={"json": {"alertPolicies": "len >= 1", "totalSize": ">= 1"}},
        ),
        ctx,
    )
    assert listed.passed, listed.summary
    assert created.outputs["json"]["name"] in {item["name"] for item in listed.outputs["json"]["alertPolicies"]}


def test_not_found_fails_with_googles_message(google_step_context: MakeContext) -> None:
    outcome = call_google_api(
        spec(api="secretmanager", path=f"/v1/{PROJECT}/secrets/no-such-secret", expect={"status": 200}),
        google_step_context(),
    )
    assert outcome.status is StepStatus.FAILED
    assert outcome.summary.endswith(
        f"/v1/{PROJECT}/secrets/no-such-secret: status 404, expected 200 "
        f"(NOT_FOUND: Resource '{PROJECT}/secrets/no-such-secret' was not found)"
    )
    assert outcome.outputs["error"].startswith("NOT_FOUND: ")
    assert outcome.metrics["status_code"] == 404.0


def test_permission_denied_fails_without_an_explicit_status(google_step_context: MakeContext) -> None:
    outcome = call_google_api(spec(api="cloudresourcemanager", path="/v1/projects/someone-else"), google_step_context())
    assert outcome.status is StepStatus.FAILED
    assert "status 403, expected below 400 (PERMISSION_DENIED: Permission denied on resource project" in outcome.summary


def test_json_expectations_need_a_json_answer(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings, tmp_path: Path
) -> None:
    plan = sandbox_plan(sandbox_settings)
    plan.gcp.endpoints["lucky"] = sandbox_settings.api_url  # an endpoint that answers text
    outcome = call_google_api(
        spec(api="lucky", path="/metrics", expect={"status": [200, 204], "json": {"a": 1}}),
        google_step_context(plan=plan),
    )
    assert outcome.status is StepStatus.FAILED
    assert outcome.summary.endswith("/metrics: the answer is not JSON")
    assert "json" not in outcome.outputs


def test_a_503_fails_with_the_status_and_the_next_try_passes(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings
) -> None:
    add_fault(sandbox_settings, path_regex="/services/serviceusage", status=503, times=1)
    ctx = google_step_context()
    check = spec(api="serviceusage", path=f"/v1/{PROJECT}/services/serviceusage.googleapis.com", expect={"status": 200})
    first = call_google_api(check, ctx)
    assert first.status is StepStatus.FAILED
    assert first.summary.endswith("status 503, expected 200 (UNAVAILABLE: Unavailable)")
    assert call_google_api(check, ctx).passed


def test_the_engine_retries_a_503(tmp_path: Path, sandbox: object, sandbox_settings: SandboxSettings) -> None:
    """Through `luckyctl task execute`: the check fails once, the engine's retry passes, both attempts are evidence."""
    add_fault(sandbox_settings, path_regex="/services/monitoring", status=503, times=1)
    check = {
        "gcp": {
            "api": "serviceusage",
            "path": "/v1/projects/${gcp_project}/services/monitoring.googleapis.com",
            "expect": {"status": 200, "json": {"state": "ENABLED"}},
        }
    }
    plan = {
        "vars": {"gcp_project": sandbox_settings.project},
        "gcp": {
            "project": sandbox_settings.project,
            "credentials": "anonymous",
            "endpoints": {api: sandbox_settings.google_url for api in GOOGLE_APIS},
        },
    }
    project = Project(tmp_path, one_story(task("G", steps=[], checks=[check], retries=1)), plan=plan)
    done = project.cli("task", "execute", "P", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    attempts = [json.loads(line) for line in done.stdout.splitlines() if '"step_finished"' in line]
    assert [(event["attempt"], event["status"]) for event in attempts] == [(1, "failed"), (2, "passed")]
    assert attempts[0]["summary"].endswith("status 503, expected 200 (UNAVAILABLE: Unavailable)")
    assert project.states() == {"G": "succeeded"}


def test_latency_beyond_the_timeout_is_an_error(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings
) -> None:
    add_fault(sandbox_settings, path_regex="/alertPolicies", latency_ms=2000, times=1)
    outcome = call_google_api(
        spec(api="monitoring", path=f"/v3/{PROJECT}/alertPolicies"), google_step_context(timeout=0.5)
    )
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.startswith("timed out after 0.5s waiting for 127.0.0.1:")


def test_the_injected_transport_carries_the_bearer_token(google_step_context: MakeContext) -> None:
    seen: list[httpx.Request] = []

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return super().handle_request(request)

    ctx = google_step_context()
    ctx.transport = Recording()
    outcome = call_google_api(
        spec(
            api="cloudresourcemanager",
            path="/v1/projects/lucky-gas-sandbox",
            expect={"json": {"lifecycleState": "ACTIVE"}},
        ),
        ctx,
    )
    assert outcome.passed, outcome.summary
    assert [request.headers["authorization"] for request in seen] == ["Bearer sandbox-anonymous"]
    ctx.transport.close()


def test_a_token_the_stand_in_refuses_is_an_error(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings, sandbox_dir: Path, tmp_path: Path
) -> None:
    key = json.loads((sandbox_dir / "service-account.json").read_text())
    key["private_key_id"] = "0" * 40  # a key the stand-in never issued
    (tmp_path / "forged.json").write_text(json.dumps(key))
    plan = sandbox_plan(sandbox_settings, credentials=f"service-account-file:{tmp_path / 'forged.json'}")
    outcome = call_google_api(spec(api="iam", path=f"/v1/{PROJECT}/serviceAccounts"), google_step_context(plan=plan))
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.startswith("Google credentials: token refresh failed: invalid_grant")
    assert outcome.outputs == {"request": f"GET {sandbox_settings.google_url}/v1/{PROJECT}/serviceAccounts"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"api": "Service Usage", "path": "/v1/x"}, "is not a Google API name"),
        ({"api": "serviceusage", "path": "v1/x"}, "must start with '/'"),
        ({"api": "serviceusage", "path": "/v1/x", "expect": {"json": {"a": "~ ("}}}, "bad expectation"),
    ],
)
def test_spec_errors(google_step_context: MakeContext, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(StepError, match=message):
        call_google_api(spec(**fields), google_step_context())
