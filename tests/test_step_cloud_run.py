"""The cloud_run step: the real google-cloud-run REST client against the sandbox's Cloud Run stand-in."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine_roadmaps import Project, one_story, task
from helpers.sandbox import GOOGLE_APIS, add_fault, sandbox_plan
from luckyctl.errors import StepError
from luckyctl.model import CloudRunSpec, Step, StepStatus
from luckyctl.sandbox.settings import SandboxSettings
from luckyctl.steps import run_step
from luckyctl.steps.base import StepContext
from luckyctl.steps.cloud_run import run_cloud_run

IMAGE = "asia-east1-docker.pkg.dev/lucky-gas-sandbox/lucky-gas/lucky-gas-api"
MakeContext = Callable[..., StepContext]


def spec(**fields: Any) -> CloudRunSpec:
    return CloudRunSpec.model_validate(fields)


def new_name() -> str:
    return f"step-api-{uuid.uuid4().hex[:8]}"


def test_deploy_then_split_traffic_10_50_100(google_step_context: MakeContext, api_url: str) -> None:
    ctx = google_step_context(timeout=20)
    name = new_name()
    first = run_cloud_run(
        spec(
            action="deploy",
            service=name,
            image=f"{IMAGE}:1.0.0",
            env={"APP_ENV": "sandbox"},
            min_instances=1,
            max_instances=3,
            expect={
                "ready": True,
                "image": f"{IMAGE}:1.0.0",
                "min_instances": 1,
                "max_instances": "<= 3",
                "url_contains": "127.0.0.1",
                "traffic": {"latest": 100},
                "template.containers.0.env.0.value": "sandbox",
                "terminalCondition.state": "CONDITION_SUCCEEDED",
            },
        ),
        ctx,
    )
    assert first.status is StepStatus.PASSED, first.summary
    blue = first.outputs["revision"]
    assert blue.startswith(f"{name}-00001-")
    assert first.outputs["created"] is True and first.outputs["previous_revision"] is None
    assert first.outputs["service"] == f"projects/lucky-gas-sandbox/locations/asia-east1/services/{name}"
    assert first.outputs["uri"] == api_url
    assert first.outputs["traffic"] == {blue: 100}
    assert {"type": "Ready", "state": "CONDITION_SUCCEEDED"} in first.outputs["conditions"]
    assert first.outputs["json"]["template"]["scaling"] == {"minInstanceCount": 1, "maxInstanceCount": 3}
    assert 0 < first.metrics["deploy_seconds"] < 20
    assert first.summary.startswith(f"Cloud Run {name}: created revision {blue} in ")

    # green: a new revision that takes no traffic yet; env is merged, not replaced
    pinned = [{"revision": blue, "percent": 100}]
    second = run_cloud_run(
        spec(
            action="deploy",
            service=name,
            image=f"{IMAGE}:1.1.0",
            env={"APP_ENV": "green", "LOG": "debug"},
            traffic=pinned,
            expect={"traffic": {"latest": 0, blue: 100}, "image": "~ :1\\.1\\.0$"},
        ),
        ctx,
    )
    assert second.status is StepStatus.PASSED, second.summary
    green = second.outputs["revision"]
    assert green.startswith(f"{name}-00002-") and second.outputs["previous_revision"] == blue
    assert second.outputs["created"] is False
    assert second.outputs["json"]["template"]["containers"][0]["env"] == [
        {"name": "APP_ENV", "value": "green"},
        {"name": "LOG", "value": "debug"},
    ]

    for percent in (10, 50, 100):
        split = [{"revision": None, "percent": percent}]
        if percent < 100:
            split.append({"revision": blue, "percent": 100 - percent})
        shifted = run_cloud_run(
            spec(
                action="traffic",
                service=name,
                traffic=split,
                expect={"traffic": {"latest": percent, blue: 100 - percent, green: percent}},
            ),
            ctx,
        )
        assert shifted.status is StepStatus.PASSED, shifted.summary
        assert shifted.outputs["revision"] == green  # traffic alone makes no revision
        assert shifted.outputs["traffic"] == ({green: 100} if percent == 100 else {green: percent, blue: 100 - percent})

    described = run_cloud_run(
        spec(action="describe", service=name, expect={"ready": True, "revision": green, "generation": ">= 5"}), ctx
    )
    assert described.status is StepStatus.PASSED, described.summary
    assert described.summary == f"Cloud Run {name}: revision {green}, traffic {green} 100%, {api_url}"
    assert "deploy_seconds" not in described.metrics


def test_expectation_failures_name_what_was_expected_and_found(google_step_context: MakeContext) -> None:
    ctx = google_step_context()
    name = new_name()
    assert run_cloud_run(spec(action="deploy", service=name, image=f"{IMAGE}:2.0.0"), ctx).passed
    outcome = run_cloud_run(
        spec(
            action="describe",
            service=name,
            expect={
                "image": f"{IMAGE}:9.9.9",
                "ready": False,
                "min_instances": 2,
                "url_contains": "run.app",
                "traffic": {"latest": "< 50"},
                "ingress": "INGRESS_TRAFFIC_INTERNAL_ONLY",
            },
        ),
        ctx,
    )
    assert outcome.status is StepStatus.FAILED
    failures = outcome.outputs["failures"]
    assert failures[0] == f"image: expected '{IMAGE}:9.9.9', got '{IMAGE}:2.0.0'"
    assert failures[1] == "ready: expected false, got true (CONDITION_SUCCEEDED)"
    assert failures[2] == "min_instances: expected 2, got 0"
    assert failures[3].startswith("url: expected it to contain 'run.app', got 'http://127.0.0.1:")
    assert failures[4].startswith("traffic.latest: expected < 50, got 100 (split: ")
    assert failures[5] == "ingress: expected 'INGRESS_TRAFFIC_INTERNAL_ONLY', got 'INGRESS_TRAFFIC_ALL'"
    assert outcome.summary.startswith(f"Cloud Run {name}: image: expected '{IMAGE}:9.9.9', got ")
    assert outcome.summary.endswith("(+3 more)")


def test_describing_a_missing_service_fails_with_googles_404(google_step_context: MakeContext) -> None:
    outcome = run_cloud_run(spec(action="describe", service="lucky-gas-api-missing"), google_step_context())
    assert outcome.status is StepStatus.FAILED
    assert outcome.summary == (
        "Cloud Run: 404 NOT_FOUND: Resource "
        "'projects/lucky-gas-sandbox/locations/asia-east1/services/lucky-gas-api-missing' was not found"
    )


def test_another_project_is_permission_denied(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings
) -> None:
    ctx = google_step_context(plan=sandbox_plan(sandbox_settings, project="someone-else"))
    outcome = run_cloud_run(spec(action="traffic", service="api", traffic=[{"percent": 100}]), ctx)
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.startswith("Cloud Run: 403 PERMISSION_DENIED: Permission denied on resource project")


def test_an_unavailable_api_is_an_error_with_the_status(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings
) -> None:
    add_fault(sandbox_settings, path_regex="/services/", status=503, times=1)
    outcome = run_cloud_run(spec(action="describe", service="whatever"), google_step_context())
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary == "Cloud Run: 503 UNAVAILABLE: Unavailable"


def test_a_slow_operation_times_out(google_step_context: MakeContext, sandbox_settings: SandboxSettings) -> None:
    add_fault(sandbox_settings, path_regex="/operations/", latency_ms=3000, times=1)
    outcome = run_cloud_run(
        spec(action="deploy", service=new_name(), image=f"{IMAGE}:3.0.0"), google_step_context(timeout=1.0)
    )
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.startswith("Cloud Run: timed out after 1.0s waiting for 127.0.0.1:")


def test_the_deadline_covers_the_whole_step(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings
) -> None:
    add_fault(sandbox_settings, path_regex="/services/", methods=["GET"], latency_ms=700, times=1)
    outcome = run_cloud_run(
        spec(action="traffic", service="api", traffic=[{"percent": 100}]), google_step_context(timeout=0.5)
    )
    assert outcome.status is StepStatus.ERROR and "timed out" in outcome.summary


def test_a_refused_connection_is_an_error(google_step_context: MakeContext, sandbox_settings: SandboxSettings) -> None:
    plan = sandbox_plan(sandbox_settings)
    plan.gcp.endpoints["run"] = "http://127.0.0.1:9"
    outcome = run_cloud_run(spec(action="describe", service="api"), google_step_context(plan=plan))
    assert (outcome.status, outcome.summary) == (StepStatus.ERROR, "Cloud Run: connection refused to 127.0.0.1:9")


def test_a_cancelled_run_stops_waiting_for_the_operation(google_step_context: MakeContext) -> None:
    cancel = threading.Event()
    cancel.set()
    outcome = run_cloud_run(
        spec(action="deploy", service=new_name(), image=f"{IMAGE}:4.0.0"), google_step_context(cancel=cancel)
    )
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.startswith("cancelled while waiting for operation projects/lucky-gas-sandbox/")


def test_the_run_step_wrapper_resolves_variables_and_saves_the_revision(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings
) -> None:
    from luckyctl.variables import Resolver

    ctx = google_step_context()
    ctx.resolve = Resolver({"service_name": new_name(), "image": f"{IMAGE}:5.0.0"})
    step = Step.model_validate(
        {
            "cloud_run": {
                "action": "deploy",
                "service": "${service_name}",
                "image": "${image}",
                "region": sandbox_settings.region,
            },
            "save": {"previous": "revision", "url": "uri"},
        }
    )
    outcome = run_step(step, ctx)
    assert outcome.passed, outcome.summary
    assert outcome.saved["previous"].endswith("-00001-" + outcome.saved["previous"][-3:])
    assert outcome.saved["url"] == sandbox_settings.api_url
    assert outcome.inputs["image"] == f"{IMAGE}:5.0.0"
    assert httpx.get(f"{sandbox_settings.api_url}/health", timeout=5).status_code == 200


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "traffic", "service": "api"}, "needs 'traffic'"),
        ({"action": "describe", "service": "api", "expect": {"traffic": 100}}, "expect.traffic is a mapping"),
        ({"action": "describe", "service": "api", "expect": {"ready": "yes"}}, "expect.ready is true or false"),
        ({"action": "describe", "service": "api", "expect": {"url_contains": 3}}, "url_contains is a text"),
        ({"action": "describe", "service": "api", "expect": {"image": ">= lots"}}, "needs a number"),
    ],
)
def test_spec_errors_stop_before_anything_is_sent(
    google_step_context: MakeContext, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(StepError, match=message):
        run_cloud_run(spec(**fields), google_step_context())


def test_project_region_and_first_image_are_required(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings
) -> None:
    no_project = sandbox_plan(sandbox_settings)
    no_project.gcp.project = None
    with pytest.raises(StepError, match="has no gcp.project"):
        run_cloud_run(spec(action="describe", service="api"), google_step_context(plan=no_project))
    no_region = sandbox_plan(sandbox_settings)
    no_region.vars.pop("region")
    with pytest.raises(StepError, match="needs a region"):
        run_cloud_run(spec(action="describe", service="api"), google_step_context(plan=no_region))
    with pytest.raises(StepError, match="its first deploy needs 'image'"):
        run_cloud_run(spec(action="deploy", service=new_name()), google_step_context())


def test_a_task_deploys_and_checks_through_the_cli(
    tmp_path: Path, sandbox: object, sandbox_settings: SandboxSettings, sandbox_dir: Path
) -> None:
    """`luckyctl task execute`: one run shares credentials and clients across a deploy and its checks."""
    s = sandbox_settings
    (tmp_path / "plans" / "keys").mkdir(parents=True)
    shutil.copy(sandbox_dir / "service-account.json", tmp_path / "plans" / "keys" / "runner.json")
    plan = {
        "vars": {
            "region": s.region,
            "service": new_name(),
            "dsn": f"postgresql://{s.db_user}@127.0.0.1:{s.postgres_port}/{s.database}",
        },
        "secrets": {"db_password": {"env": "STEP_TEST_DB_PASSWORD"}},
        "gcp": {
            "project": s.project,
            "credentials": "service-account-file:keys/runner.json",
            "endpoints": {api: s.google_url for api in GOOGLE_APIS},
        },
    }
    deploy = {"cloud_run": {"action": "deploy", "service": "${service}", "image": f"{IMAGE}:6.0.0"}}
    checks = [
        {
            "cloud_run": {
                "action": "describe",
                "service": "${service}",
                "expect": {"ready": True, "traffic": {"latest": 100}},
            }
        },
        {
            "sql": {
                "dsn": "${dsn}",
                "password": "${secret:db_password}",
                "query": "SELECT count(*) AS metric_customers FROM customers",
                "expect": {"scalar": ">= 8"},
            }
        },
    ]
    project = Project(tmp_path, one_story(task("D", steps=[deploy], checks=checks)), plan=plan)
    done = project.cli("task", "execute", "P", "--json", env={"STEP_TEST_DB_PASSWORD": s.db_password})
    assert done.returncode == 0, done.stdout + done.stderr
    finished = [json.loads(line) for line in done.stdout.splitlines() if '"step_finished"' in line]
    assert [(event["kind"], event["status"]) for event in finished] == [
        ("cloud_run", "passed"),
        ("cloud_run", "passed"),
        ("sql", "passed"),
    ]
    listed = project.cli("evidence", "list", "D", "--json")
    deployed, described, counted = json.loads(listed.stdout)["records"]
    assert 0 < deployed["metrics"]["deploy_seconds"] < 30  # what the deploy-time KPI reads
    assert "created revision" in deployed["summary"] and "traffic" in described["summary"]
    assert counted["metrics"]["customers"] >= 8
    assert s.db_password not in listed.stdout
