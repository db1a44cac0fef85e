"""Credentials from a plan (anonymous, ADC, a key file) with real token refreshes from the sandbox's token endpoint;
endpoints, the httpx auth, error summaries and shared clients of ``luckyctl.gcp``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers.sandbox import GOOGLE_APIS, sandbox_plan
from luckyctl.errors import PlanError, StepError
from luckyctl.gcp import (
    close_services,
    credentials_for,
    describe_error,
    endpoint,
    plan_token_provider,
    shared,
    token_provider,
)
from luckyctl.gcp.auth import GoogleAuth
from luckyctl.gcp.cloudsql import CloudSqlConnector, masked_dsn
from luckyctl.gcp.credentials import plan_dir_of
from luckyctl.gcp.errors import google_error, google_status
from luckyctl.loader import load_plan
from luckyctl.model import GcpSettings, GcpSpec, Plan
from luckyctl.sandbox.settings import SandboxSettings
from luckyctl.secrets import SecretResolver
from luckyctl.steps.base import StepContext
from luckyctl.steps.gcp import call_google_api

MakeContext = Callable[..., StepContext]
ACCOUNTS = GcpSpec.model_validate(
    {
        "api": "iam",
        "path": "/v1/projects/lucky-gas-sandbox/serviceAccounts",
        "expect": {"json": {"accounts": "len >= 1"}},
    }
)


def plan_file(folder: Path, settings: SandboxSettings, credentials: str) -> Path:
    """A plan file for the sandbox, loaded through the real loader so it knows where it lives."""
    endpoints = "\n".join(f"    {api}: {settings.google_url}" for api in GOOGLE_APIS)
    path = folder / "plans" / "sandbox.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        textwrap.dedent(f"""\
        name: sandbox
        vars: {{region: {settings.region}}}
        gcp:
          project: {settings.project}
          credentials: "{credentials}"
          endpoints:
        """)
        + endpoints
        + "\n"
    )
    return path


def test_anonymous_credentials_carry_the_sandbox_token(tmp_path: Path) -> None:
    credentials = credentials_for(Plan(name="sandbox", gcp=GcpSettings(credentials="anonymous")), plan_dir=tmp_path)
    assert credentials.valid and credentials.token == "sandbox-anonymous"
    assert token_provider(credentials)() == "sandbox-anonymous"


def test_adc_from_the_sandbox_key_file_refreshes_and_a_step_passes(
    google_step_context: MakeContext,
    sandbox_settings: SandboxSettings,
    sandbox_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(sandbox_dir / "service-account.json"))
    plan = sandbox_plan(sandbox_settings, credentials="adc")
    credentials = credentials_for(plan, plan_dir=tmp_path)
    assert not credentials.valid  # nothing fetched yet
    token = token_provider(credentials)
    first = token()
    assert first.startswith("ya29.sandbox-") and credentials.valid
    assert token() == first  # still valid: no second refresh
    outcome = call_google_api(ACCOUNTS, google_step_context(plan=plan))
    assert outcome.passed, outcome.summary
    emails = [account["email"] for account in outcome.outputs["json"]["accounts"]]
    assert f"luckyctl-runner@{sandbox_settings.project}.iam.gserviceaccount.com" in emails


def test_a_key_file_relative_to_the_plan_file(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings, sandbox_dir: Path, tmp_path: Path
) -> None:
    path = plan_file(tmp_path, sandbox_settings, "service-account-file:keys/runner.json")
    (tmp_path / "plans" / "keys").mkdir()
    shutil.copy(sandbox_dir / "service-account.json", tmp_path / "plans" / "keys" / "runner.json")
    plan = load_plan(str(path), roadmap_path=tmp_path / "roadmap.yaml")
    assert plan_dir_of(plan, tmp_path / "elsewhere") == path.parent
    outcome = call_google_api(ACCOUNTS, google_step_context(plan=plan))  # finds the key from the plan's folder
    assert outcome.passed, outcome.summary
    assert plan_dir_of(Plan(name="x"), tmp_path) == tmp_path


def test_credentials_that_cannot_be_had_are_plan_errors_at_the_plans_line(
    sandbox_settings: SandboxSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = load_plan(
        str(plan_file(tmp_path, sandbox_settings, "service-account-file:nope.json")), roadmap_path=tmp_path
    )
    with pytest.raises(
        PlanError, match=r"sandbox.yaml:5: gcp.credentials: service-account key file .*nope.json not found"
    ):
        credentials_for(missing, plan_dir=tmp_path / "plans")
    (tmp_path / "plans" / "broken.json").write_text("{not json")
    broken = Plan(name="x", gcp=GcpSettings(credentials="service-account-file:broken.json"))
    with pytest.raises(PlanError, match="is not a usable service-account key file"):
        credentials_for(broken, plan_dir=tmp_path / "plans")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    with pytest.raises(PlanError, match="gcp.credentials adc: no Application Default Credentials: File .*absent.json"):
        credentials_for(Plan(name="x", gcp=GcpSettings(credentials="adc")), plan_dir=tmp_path)


def test_a_step_reports_credentials_it_cannot_get(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings
) -> None:
    plan = sandbox_plan(sandbox_settings, credentials="service-account-file:/nonexistent/key.json")
    with pytest.raises(PlanError, match="key file /nonexistent/key.json not found"):
        call_google_api(ACCOUNTS, google_step_context(plan=plan))


def test_secret_manager_secrets_with_the_plans_token(
    sandbox_settings: SandboxSettings, sandbox_dir: Path, google_url: str, tmp_path: Path
) -> None:
    secret = "projects/lucky-gas-sandbox/secrets/resolver-test"
    headers = {"Authorization": "Bearer setup"}
    httpx.post(
        f"{google_url}/v1/projects/lucky-gas-sandbox/secrets",
        params={"secretId": "resolver-test"},
        json={"replication": {"automatic": {}}},
        headers=headers,
    ).raise_for_status()
    httpx.post(
        f"{google_url}/v1/{secret}:addVersion", json={"payload": {"data": "czNjcjN0"}}, headers=headers
    ).raise_for_status()
    keyed = sandbox_plan(sandbox_settings, credentials=f"service-account-file:{sandbox_dir / 'service-account.json'}")
    plan = Plan.model_validate({**keyed.model_dump(by_alias=True), "secrets": {"db_password": {"gcp_secret": secret}}})
    services: dict[str, Any] = {}
    resolver = SecretResolver(
        plan, plan_dir=tmp_path, token_provider=plan_token_provider(plan, plan_dir=tmp_path, services=services)
    )
    assert resolver("db_password") == "s3cr3t"
    assert services["gcp.credentials"].token.startswith("ya29.sandbox-")  # shared with the run's steps
    without_services = plan_token_provider(plan, plan_dir=tmp_path)
    assert without_services().startswith("ya29.sandbox-")
    assert not SecretResolver(plan, plan_dir=tmp_path).values()


def test_google_auth_adds_the_token_to_httpx_requests(google_url: str, sandbox_dir: Path, tmp_path: Path) -> None:
    plan = Plan(name="x", gcp=GcpSettings(credentials=f"service-account-file:{sandbox_dir / 'service-account.json'}"))
    auth = GoogleAuth(credentials_for(plan, plan_dir=tmp_path))
    url = f"{google_url}/v1/projects/lucky-gas-sandbox"
    with httpx.Client(auth=auth) as client:
        answer = client.get(url)
    assert answer.status_code == 200 and answer.request.headers["authorization"].startswith("Bearer ya29.sandbox-")
    assert httpx.get(url).status_code == 401


def test_endpoints_come_from_the_plan_or_google(sandbox_settings: SandboxSettings) -> None:
    plan = sandbox_plan(sandbox_settings)
    plan.gcp.endpoints["monitoring"] = "http://127.0.0.1:9999/"
    assert endpoint(plan, "run") == sandbox_settings.google_url
    assert endpoint(plan, "monitoring") == "http://127.0.0.1:9999"
    production = Plan(name="production")
    assert endpoint(production, "sqladmin") == "https://sqladmin.googleapis.com"
    assert endpoint(production, "oauth2") == "https://oauth2.googleapis.com"
    assert endpoint(production, "asia-east1-aiplatform") == "https://asia-east1-aiplatform.googleapis.com"
    assert endpoint(production, "www") == "https://www.googleapis.com"
    for bad in ("Run", "run.googleapis.com", "-run", "x/y"):
        with pytest.raises(StepError, match="is not a Google API name"):
            endpoint(production, bad)


def test_importing_the_package_imports_no_google_library() -> None:
    code = (
        "import sys, luckyctl.gcp, luckyctl.steps; "
        "print(sorted(m for m in sys.modules if m.startswith(('google', 'pg8000', 'aiohttp', 'requests'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------- error summaries


def test_library_errors_read_as_one_line() -> None:
    import aiohttp
    import pg8000.exceptions
    import requests
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth
    from google.cloud.sql.connector.exceptions import CloudSQLIPTypeError

    assert describe_error(api.from_grpc_status(9, "the revision is not ready"), "Cloud Run") == (
        "Cloud Run: 400 FAILED_PRECONDITION: the revision is not ready"
    )
    assert describe_error(api.BadRequest("POST https://x/v2/y: bad image"), "Cloud Run") == (
        "Cloud Run: 400 INVALID_ARGUMENT: bad image"
    )
    assert describe_error(auth.TransportError("no route"), "x") == (
        "Google credentials: cannot reach the token endpoint: no route"
    )
    assert describe_error(auth.DefaultCredentialsError("no ADC"), "x") == "Google credentials: no ADC"
    refused = requests.ConnectionError(
        "HTTPConnection: [Errno 111] Connection refused",
        request=requests.Request("GET", "https://run.googleapis.com/v2").prepare(),
    )
    assert describe_error(refused, "Cloud Run") == "Cloud Run: connection refused to run.googleapis.com:443"
    timeout = requests.ReadTimeout("read timed out", request=requests.Request("GET", "http://h:81/").prepare())
    assert describe_error(timeout, "Cloud Run", timeout=2) == "Cloud Run: timed out after 2.0s waiting for h:81"
    reset = requests.ConnectionError("aborted")
    reset.__cause__ = ConnectionResetError(104, "Connection reset by peer")
    assert describe_error(reset, "Cloud Run") == ("Cloud Run: ConnectionError: Connection reset by peer")
    assert describe_error(requests.ReadTimeout("slow"), "Cloud Run") == "Cloud Run: timed out"
    assert describe_error(requests.ConnectionError("Connection refused"), "Cloud Run") == (
        "Cloud Run: connection refused"
    )
    connector = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 9, False, True, None, None, None),
        OSError(111, "Connection refused"),
    )
    assert describe_error(connector, "Cloud SQL") == "Cloud SQL: cannot connect to 127.0.0.1:9: Connection refused"
    assert describe_error(aiohttp.ServerDisconnectedError(), "Cloud SQL") == (
        "Cloud SQL: ServerDisconnectedError: Server disconnected"
    )
    assert describe_error(CloudSQLIPTypeError("no PRIVATE address"), "Cloud SQL") == (
        "Cloud SQL connector: no PRIVATE address"
    )
    lost = pg8000.exceptions.InterfaceError("network error")
    lost.__cause__ = TimeoutError("timed out")
    assert describe_error(lost, "PostgreSQL", timeout=1.5) == "PostgreSQL: timed out after 1.5s waiting for the server"
    assert describe_error(pg8000.exceptions.InterfaceError("Can't create a connection"), "x") == (
        "PostgreSQL: Can't create a connection"
    )
    assert describe_error(pg8000.exceptions.DatabaseError({"M": "odd"}), "x") == "PostgreSQL: odd"
    assert describe_error(TimeoutError(), "Cloud SQL") == "Cloud SQL: timed out"  # asyncio.wait_for raises it
    assert describe_error(ConnectionRefusedError(), "Cloud SQL") == "Cloud SQL: connection refused"
    assert describe_error(OSError(113, "No route to host"), "Cloud SQL") == "Cloud SQL: No route to host"
    assert describe_error(KeyError("a bug"), "Cloud Run") is None


def test_google_error_bodies_and_status_names() -> None:
    body = {"error": {"code": 404, "message": "gone", "status": "NOT_FOUND"}}
    assert google_error(body) == ("NOT_FOUND", "gone")
    assert google_error(json.dumps(body).encode()) == ("NOT_FOUND", "gone")
    assert google_error(b"<html>") == (None, None)
    assert google_error({"error": "invalid_grant"}) == (None, None)
    assert (google_status(404), google_status(418), google_status(299)) == ("NOT_FOUND", "IM_A_TEAPOT", "UNKNOWN")


# ---------------------------------------------------------------- shared clients


def test_shared_clients_are_made_once_and_closed_together(sandbox_settings: SandboxSettings) -> None:
    from google.cloud import run_v2
    from google.oauth2.credentials import Credentials

    credentials = Credentials(token="t")
    made: list[str] = []

    class FailsToClose:
        def close(self) -> None:
            raise RuntimeError("already gone")

    services: dict[str, Any] = {}
    connector = shared(
        services,
        "sql",
        lambda: (
            made.append("sql")
            or CloudSqlConnector(
                credentials=credentials, sqladmin_endpoint=sandbox_settings.google_url, ip_type="public"
            )
        ),
    )
    assert shared(services, "sql", lambda: made.append("again")) is connector and made == ["sql"]
    services["run"] = run_v2.ServicesClient(transport="rest", credentials=credentials)
    services["broken"] = FailsToClose()
    services["plain"] = credentials
    assert close_services(services) == ["broken"]
    assert services == {}
    assert not connector._thread.is_alive()


def test_masked_dsns() -> None:
    assert masked_dsn("postgresql://u:p%40ss@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert masked_dsn("postgresql://u@h/db") == "postgresql://u@h/db"
