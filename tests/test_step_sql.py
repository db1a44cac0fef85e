"""The sql step: the real Cloud SQL connector over mutual TLS, and plain DSNs, into the sandbox's PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers.sandbox import add_fault, sandbox_plan
from luckyctl.errors import StepError
from luckyctl.model import SqlSpec, StepStatus
from luckyctl.sandbox.postgres import ALEMBIC_HEAD
from luckyctl.sandbox.settings import SandboxSettings
from luckyctl.steps.base import StepContext
from luckyctl.steps.sql import run_query

MakeContext = Callable[..., StepContext]


def spec(**fields: Any) -> SqlSpec:
    return SqlSpec.model_validate(fields)


@pytest.fixture
def through_connector(sandbox_settings: SandboxSettings) -> Callable[..., SqlSpec]:
    """``through_connector(query=…, **more)``: a sql step on the sandbox's Cloud SQL instance."""

    def make(**fields: Any) -> SqlSpec:
        login = {
            "instance": sandbox_settings.connection_name,
            "database": sandbox_settings.database,
            "user": sandbox_settings.db_user,
            "password": sandbox_settings.db_password,
        }
        return spec(**{**login, **fields})

    return make


@pytest.fixture
def dsn(sandbox_settings: SandboxSettings) -> str:
    s = sandbox_settings
    return f"postgresql://{s.db_user}:{s.db_password}@127.0.0.1:{s.postgres_port}/{s.database}"


def test_the_connector_reads_customers_and_the_schema_version(
    google_step_context: MakeContext, through_connector: Callable[..., SqlSpec], sandbox_settings: SandboxSettings
) -> None:
    ctx = google_step_context()
    customers = run_query(through_connector(query="SELECT count(*) FROM customers", expect={"scalar": ">= 8"}), ctx)
    assert customers.status is StepStatus.PASSED, customers.summary
    assert customers.outputs["columns"] == ["count"] and customers.outputs["rows"][0][0] >= 8
    assert customers.metrics["row_count"] == 1.0 and customers.metrics["duration_s"] >= 0
    assert customers.outputs["target"] == f"{sandbox_settings.connection_name}/{sandbox_settings.database}"
    assert customers.inputs["password"] == "***"

    version = run_query(
        through_connector(
            query="SELECT version_num FROM alembic_version",
            expect={"row_count": 1, "rows": [[ALEMBIC_HEAD]], "scalar": ALEMBIC_HEAD},
        ),
        ctx,
    )
    assert version.status is StepStatus.PASSED, version.summary
    assert version.summary == (
        f"{sandbox_settings.connection_name}/{sandbox_settings.database}: 1 row(s) in "
        f"{version.outputs['duration_s']:g} s; first value '{ALEMBIC_HEAD}'"
    )
    assert len(ctx.services) == 2  # the credentials and one connector, shared by both steps


def test_a_dsn_connects_directly_and_keeps_the_password_out_of_the_inputs(
    google_step_context: MakeContext, dsn: str, sandbox_settings: SandboxSettings
) -> None:
    outcome = run_query(
        spec(
            dsn=dsn,
            query="SELECT current_user, current_database()",
            expect={"rows": [[sandbox_settings.db_user, sandbox_settings.database]]},
        ),
        google_step_context(),
    )
    assert outcome.status is StepStatus.PASSED, outcome.summary
    assert sandbox_settings.db_password not in json.dumps(outcome.inputs)
    assert outcome.inputs["dsn"] == dsn.replace(f":{sandbox_settings.db_password}@", ":***@")
    assert outcome.outputs["target"] == f"127.0.0.1:{sandbox_settings.postgres_port}/{sandbox_settings.database}"


def test_step_keys_override_the_dsn(google_step_context: MakeContext, sandbox_settings: SandboxSettings) -> None:
    bare = f"postgres://127.0.0.1:{sandbox_settings.postgres_port}/postgres?sslmode=disable"
    outcome = run_query(
        spec(
            dsn=bare,
            user=sandbox_settings.db_user,
            password=sandbox_settings.db_password,
            database=sandbox_settings.database,
            query="SELECT current_database()",
            expect={"scalar": sandbox_settings.database},
        ),
        google_step_context(),
    )
    assert outcome.passed, outcome.summary
    assert outcome.inputs["dsn"] == bare


def test_a_wrong_password_is_an_error_naming_the_cause(
    google_step_context: MakeContext,
    dsn: str,
    through_connector: Callable[..., SqlSpec],
    sandbox_settings: SandboxSettings,
) -> None:
    refused = 'PostgreSQL 28P01: password authentication failed for user "luckygas"'
    via_connector = run_query(through_connector(password="wrong", query="SELECT 1"), google_step_context())
    assert via_connector.status is StepStatus.ERROR
    assert via_connector.summary == f"{sandbox_settings.connection_name}/{sandbox_settings.database}: {refused}"
    direct = run_query(spec(dsn=dsn, password="wrong", query="SELECT 1"), google_step_context())
    assert direct.status is StepStatus.ERROR and direct.summary.endswith(refused)
    no_password = dsn.replace(f":{sandbox_settings.db_password}@", "@")
    unasked = run_query(spec(dsn=no_password, query="SELECT 1"), google_step_context())
    assert unasked.status is StepStatus.ERROR and unasked.summary.endswith(refused)


def test_metric_columns_become_metrics(google_step_context: MakeContext, dsn: str) -> None:
    query = (
        "SELECT 100.0 * count(*) FILTER (WHERE customer_id IS NOT NULL) / count(*) AS metric_integrity_pct, "
        "count(*) AS metric_orders, 'n/a' AS metric_note, count(*) AS orders FROM orders"
    )
    outcome = run_query(spec(dsn=dsn, query=query), google_step_context())
    assert outcome.passed, outcome.summary
    assert outcome.metrics["integrity_pct"] == 100.0
    assert outcome.metrics["orders"] >= 10
    assert outcome.outputs["bad_metrics"] == ["metric_note='n/a'"]
    assert set(outcome.metrics) == {"row_count", "duration_s", "integrity_pct", "orders"}


def test_failed_expectations_name_expected_and_found(google_step_context: MakeContext, dsn: str) -> None:
    ctx = google_step_context()
    query = "SELECT id, district FROM customers WHERE id <= 2 ORDER BY id"
    outcome = run_query(spec(dsn=dsn, query=query, expect={"row_count": 3, "scalar": 9}), ctx)
    assert outcome.status is StepStatus.FAILED
    assert outcome.outputs["failures"] == ["row_count: expected 3, got 2", "scalar: expected 9, got 1"]
    assert outcome.summary.endswith(": row_count: expected 3, got 2; scalar: expected 9, got 1")
    assert run_query(spec(dsn=dsn, query=query, expect={"rows": [[1, "x"]]}), ctx).outputs["failures"] == [
        "rows: expected 1 row(s), got 2"
    ]
    assert run_query(spec(dsn=dsn, query=query, expect={"rows": [[1], [2]]}), ctx).outputs["failures"] == [
        "rows.0: expected 1 column(s), got 2",
        "rows.1: expected 1 column(s), got 2",
    ]
    cells = run_query(spec(dsn=dsn, query=query, expect={"rows": [[1, "exists"], [">= 3", "~ ."]]}), ctx)
    assert cells.outputs["failures"] == ["rows.1.0: expected >= 3, got 2"]
    nothing = run_query(spec(dsn=dsn, query="SELECT 1 WHERE false", expect={"scalar": None}), ctx)
    assert nothing.outputs["failures"] == ["scalar: expected null, got missing"]


def test_a_migration_step_runs_ddl_and_dml(google_step_context: MakeContext, dsn: str) -> None:
    ctx = google_step_context()
    table = f"step_test_{uuid.uuid4().hex[:8]}"
    created = run_query(spec(dsn=dsn, query=f"CREATE TABLE {table} (id integer PRIMARY KEY, note text)"), ctx)
    assert created.passed and created.outputs["columns"] == [] and created.outputs["row_count"] == 0
    inserted = run_query(
        spec(dsn=dsn, query=f"INSERT INTO {table} VALUES (1, 'a'), (2, 'b')", expect={"row_count": 2}), ctx
    )
    assert inserted.passed, inserted.summary
    assert inserted.summary.endswith("2 row(s) in " + f"{inserted.outputs['duration_s']:g} s")
    committed = run_query(
        spec(dsn=dsn, query=f"SELECT note FROM {table} ORDER BY id", expect={"rows": [["a"], ["b"]]}), ctx
    )
    assert committed.passed, committed.summary
    assert run_query(spec(dsn=dsn, query=f"DROP TABLE {table}"), ctx).passed


def test_values_become_json_and_long_results_are_cut(google_step_context: MakeContext, dsn: str) -> None:
    ctx = google_step_context()
    query = (
        "SELECT 1.50::numeric, 2.00::numeric, 'NaN'::numeric, date '2026-12-07', "
        "timestamptz '2026-12-07 08:00+00', time '08:30', interval '90 minutes', '\\x0aff'::bytea, "
        "ARRAY[1, 2], '{\"a\": [1]}'::json, '6f1d1a8e-7f0b-4b53-9d55-4b4c5a1d6e01'::uuid, "
        "NULL, true, inet '10.0.0.1'"
    )
    row = run_query(spec(dsn=dsn, query=query), ctx).outputs["rows"][0]
    assert row[:7] == [1.5, 2, "NaN", "2026-12-07", "2026-12-07T08:00:00+00:00", "08:30:00", 5400.0]
    assert row[7:] == ["\\x0aff", [1, 2], {"a": [1]}, "6f1d1a8e-7f0b-4b53-9d55-4b4c5a1d6e01", None, True, "10.0.0.1"]
    many = run_query(spec(dsn=dsn, query="SELECT generate_series(1, 25)", expect={"row_count": 25}), ctx)
    assert many.passed and many.outputs["truncated"] is True and len(many.outputs["rows"]) == 20


def test_an_sql_error_is_an_error(google_step_context: MakeContext, dsn: str) -> None:
    outcome = run_query(spec(dsn=dsn, query="SELECT * FROM no_such_table"), google_step_context())
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.endswith('PostgreSQL 42P01: relation "no_such_table" does not exist')


def test_admin_api_and_connector_refusals_are_errors(
    google_step_context: MakeContext, through_connector: Callable[..., SqlSpec]
) -> None:
    unknown = run_query(
        through_connector(instance="lucky-gas-sandbox:asia-east1:nope", query="SELECT 1"), google_step_context()
    )
    assert unknown.status is StepStatus.ERROR
    assert unknown.summary.startswith("lucky-gas-sandbox:asia-east1:nope/luckygas: Cloud SQL: 404 NOT_FOUND: ")
    assert unknown.summary.endswith(
        "does not exist.' was not found (GET /sql/v1beta4/projects/lucky-gas-sandbox/instances/nope/connectSettings)"
    )
    wrong_region = run_query(
        through_connector(instance="lucky-gas-sandbox:europe-west1:lucky-gas-db", query="SELECT 1"),
        google_step_context(),
    )
    assert wrong_region.status is StepStatus.ERROR
    assert "Cloud SQL connector: " in wrong_region.summary and "region was mismatched" in wrong_region.summary


def test_a_slow_admin_api_times_out_and_a_cancel_stops_the_wait(
    google_step_context: MakeContext, through_connector: Callable[..., SqlSpec], sandbox_settings: SandboxSettings
) -> None:
    add_fault(sandbox_settings, path_regex="connectSettings", latency_ms=3000, times=2)
    slow = run_query(through_connector(query="SELECT 1"), google_step_context(timeout=0.5))
    assert slow.status is StepStatus.ERROR
    assert slow.summary.endswith("Cloud SQL: timed out after 0.5s")
    cancel = threading.Event()
    cancel.set()
    cancelled = run_query(through_connector(query="SELECT 1"), google_step_context(cancel=cancel))
    assert (cancelled.status, cancelled.summary) == (
        StepStatus.ERROR,
        f"cancelled while connecting to {sandbox_settings.connection_name}",
    )


def test_iam_login_sends_a_fresh_token_as_password(
    google_step_context: MakeContext,
    through_connector: Callable[..., SqlSpec],
    sandbox_settings: SandboxSettings,
    sandbox_dir: Path,
) -> None:
    iam_user = "luckyctl-runner@lucky-gas-sandbox.iam"
    key_file = sandbox_dir / "service-account.json"
    plan = sandbox_plan(sandbox_settings, credentials=f"service-account-file:{key_file}")
    outcome = run_query(
        through_connector(user=iam_user, password=None, iam_auth=True, query="SELECT 1"), google_step_context(plan=plan)
    )
    assert outcome.status is StepStatus.ERROR  # the sandbox's PostgreSQL has no IAM users: the login is refused
    assert outcome.summary.endswith(f'PostgreSQL 28P01: password authentication failed for user "{iam_user}"')
    assert "password" not in outcome.inputs or outcome.inputs["password"] is None

    anonymous = run_query(
        through_connector(user=iam_user, password=None, iam_auth=True, query="SELECT 1"), google_step_context()
    )
    assert anonymous.status is StepStatus.ERROR  # a fixed token cannot be refreshed for an IAM login
    assert "Google credentials: token refresh failed: " in anonymous.summary


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"instance": "just-a-name", "user": "u", "query": "SELECT 1"}, "is not project:region:instance"),
        ({"instance": "p:r:i", "query": "SELECT 1"}, "needs 'user'"),
        ({"dsn": "mysql://u@h/db", "query": "SELECT 1"}, "postgresql://user:password@host:port/database"),
        ({"dsn": "postgresql://127.0.0.1/db", "query": "SELECT 1"}, "needs a user"),
        (
            {"dsn": "postgresql://u:pw@127.0.0.1:port/db", "query": "SELECT 1"},
            r"port that is not a number: .*u:\*\*\*@",
        ),
        ({"dsn": "postgresql://u@127.0.0.1/db?sslmode=allow", "query": "SELECT 1"}, "sslmode=allow"),
        ({"dsn": "postgresql://u@h/db", "query": "SELECT 1", "expect": {"scalar": ">= x"}}, "needs a number"),
        ({"dsn": "postgresql://u@h/db", "query": "SELECT 1", "expect": {"rows": [["~ ("]]}}, "bad expectation"),
    ],
)
def test_spec_errors(google_step_context: MakeContext, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(StepError, match=message):
        run_query(spec(**fields), google_step_context())


def test_an_unknown_ip_type_is_a_spec_error(
    google_step_context: MakeContext, sandbox_settings: SandboxSettings, through_connector: Callable[..., SqlSpec]
) -> None:
    plan = sandbox_plan(sandbox_settings)
    plan.vars["sql_ip_type"] = "carrier-pigeon"
    with pytest.raises(StepError, match="sql_ip_type is 'carrier-pigeon'"):
        run_query(through_connector(query="SELECT 1"), google_step_context(plan=plan))


def test_tls_modes_of_a_dsn(google_step_context: MakeContext, dsn: str) -> None:
    """The sandbox's PostgreSQL speaks no TLS: asking for it is refused by the server, naming that."""
    for mode in ("require", "verify-ca", "verify-full"):
        outcome = run_query(spec(dsn=f"{dsn}?sslmode={mode}", query="SELECT 1"), google_step_context())
        assert outcome.status is StepStatus.ERROR
        assert outcome.summary.startswith("127.0.0.1:") and "PostgreSQL: " in outcome.summary
