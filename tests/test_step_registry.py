"""run_step: the registry, variable substitution, save, and the manual step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import step_context
from helpers.http_server import LocalHttpServer
from luckyctl.errors import StepError
from luckyctl.model import ManualSpec, Plan, SecretSource, Step, StepKind, StepStatus
from luckyctl.secrets import SecretResolver
from luckyctl.steps import RUNNERS, LazyRunners, run_step
from luckyctl.steps.manual import await_signoff
from luckyctl.variables import Resolver

pytest_plugins = ["helpers"]  # the http_server fixture


def step(document: dict[str, Any]) -> Step:
    return Step.model_validate(document)


def test_importing_the_steps_imports_no_http_client() -> None:
    probe = "import sys, luckyctl.steps; print('httpx' in sys.modules, len(luckyctl.steps.RUNNERS))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", str(len(StepKind))]


def test_every_kind_has_a_runner() -> None:
    assert set(RUNNERS) == set(StepKind)
    assert RUNNERS[StepKind.MANUAL] is await_signoff
    assert RUNNERS[StepKind.MANUAL] is RUNNERS[StepKind.MANUAL]


def test_a_registry_imports_its_targets_on_first_use() -> None:
    registry = LazyRunners({StepKind.GCP: "luckyctl.steps.manual:await_signoff"})
    assert len(registry) == 1 and list(registry) == [StepKind.GCP]
    assert registry[StepKind.GCP] is await_signoff
    with pytest.raises(KeyError):
        registry[StepKind.SQL]


def test_a_kind_without_a_runner_is_a_step_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("luckyctl.steps.RUNNERS", LazyRunners({}))
    with pytest.raises(StepError, match="no runner for step kind 'sql'"):
        run_step(step({"sql": {"dsn": "postgresql://localhost/db", "query": "select 1"}}), step_context(tmp_path))


def test_variables_are_substituted_before_the_step_runs(tmp_path: Path) -> None:
    ctx = step_context(tmp_path, variables={"greeting": "hello", "region": "asia-east1"})
    outcome = run_step(step({"run": {"argv": ["echo", "${greeting}", "${region}"]}}), ctx)
    assert outcome.artifacts["stdout"] == b"hello asia-east1\n"
    assert outcome.inputs == {"argv": ["echo", "hello", "asia-east1"]}


def test_secrets_reach_the_request_through_the_resolver(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/api/v1/customers", json=[])
    plan = Plan(name="sandbox", secrets={"api_token": SecretSource(env="LUCKY_TEST_TOKEN")})
    secrets = SecretResolver(plan, plan_dir=tmp_path, environ={"LUCKY_TEST_TOKEN": "tok-123"})
    ctx = step_context(tmp_path, resolver=Resolver({"backend_url": http_server.url}, secrets=secrets))
    outcome = run_step(
        step(
            {
                "http": {
                    "url": "${backend_url}/api/v1/customers",
                    "headers": {"Authorization": "Bearer ${secret:api_token}"},
                }
            }
        ),
        ctx,
    )
    assert outcome.passed
    assert http_server.requests[0].headers["authorization"] == "Bearer tok-123"
    assert secrets.values() == ["tok-123"]


def test_a_variable_that_cannot_be_resolved_now_makes_the_step_an_error(tmp_path: Path) -> None:
    ctx = step_context(tmp_path, resolver=Resolver({}, environ={}))
    outcome = run_step(step({"run": {"argv": ["echo", "${env:LUCKY_DEPLOY_TOKEN}"]}}), ctx)
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary == "${env:LUCKY_DEPLOY_TOKEN} is not set in the environment"
    assert outcome.inputs == {"argv": ["echo", "${env:LUCKY_DEPLOY_TOKEN}"]}


def test_a_spec_that_no_longer_fits_after_substitution_is_a_step_error(tmp_path: Path) -> None:
    ctx = step_context(tmp_path)
    ctx.resolve = lambda spec: {**spec, "requests": 0}
    with pytest.raises(StepError, match="after substituting variables, requests: "):
        run_step(step({"probe": {"url": "http://127.0.0.1:1/"}}), ctx)


def test_save_keeps_values_from_the_outputs(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("POST", "/api/v1/auth/login", json={"access_token": "jwt-abc", "user": {"roles": ["admin"]}})
    login = step(
        {
            "http": {"method": "POST", "url": f"{http_server.url}/api/v1/auth/login", "json": {"user": "admin"}},
            "save": {"token": "json.access_token", "role": "json.user.roles.0", "status": "status"},
        }
    )
    outcome = run_step(login, step_context(tmp_path))
    assert outcome.passed
    assert outcome.saved == {"token": "jwt-abc", "role": "admin", "status": 200}


def test_a_save_path_that_finds_nothing_fails_the_step(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("POST", "/login", json={"error": "bad password"})
    outcome = run_step(
        step({"http": {"method": "POST", "url": f"{http_server.url}/login"}, "save": {"token": "json.access_token"}}),
        step_context(tmp_path),
    )
    assert outcome.status is StepStatus.FAILED
    assert outcome.summary == "save token: nothing at 'json.access_token' in the step's outputs"
    assert outcome.saved == {}


def test_nothing_is_saved_from_a_step_that_did_not_pass(tmp_path: Path) -> None:
    outcome = run_step(step({"run": {"argv": ["false"]}, "save": {"code": "exit_code"}}), step_context(tmp_path))
    assert outcome.status is StepStatus.FAILED and outcome.saved == {}
    assert outcome.summary.startswith("exit code 1")


def test_a_manual_step_waits_for_sign_off(tmp_path: Path) -> None:
    outcome = run_step(
        step({"manual": {"instruction": "Run the UAT script\nwith the ops lead", "attachments_required": 1}}),
        step_context(tmp_path),
    )
    assert outcome.status is StepStatus.WAITING
    assert outcome.summary == "waiting for sign-off: Run the UAT script (1 attachment(s) required)"
    assert outcome.outputs == {"instruction": "Run the UAT script\nwith the ops lead", "attachments_required": 1}


def test_a_manual_step_with_a_blank_instruction_still_says_what_it_waits_for(tmp_path: Path) -> None:
    outcome = await_signoff(ManualSpec(instruction="  "), step_context(tmp_path))
    assert outcome.status is StepStatus.WAITING and outcome.summary == "waiting for sign-off: a person has to act"


def test_a_step_cancelled_before_it_starts_does_not_run(tmp_path: Path) -> None:
    ctx = step_context(tmp_path)
    ctx.cancel.set()
    outcome = run_step(step({"run": {"argv": ["touch", "ran"]}}), ctx)
    assert outcome.status is StepStatus.ERROR and outcome.summary == "cancelled before it started"
    assert not (tmp_path / "ran").exists()
