"""The ``sql`` step: one SQL statement against Cloud SQL for PostgreSQL (or any PostgreSQL), checked.

Where it connects:

- ``instance: project:region:instance`` — through the Cloud SQL connector
  (``luckyctl.gcp.cloudsql``): the plan's credentials, its
  ``gcp.endpoints.sqladmin`` (else Google's), the IP type of the plan's var
  ``sql_ip_type`` (``public``, the default; ``private``; ``psc``), and IAM
  database login when ``iam_auth: true``. ``user`` is required.
- ``dsn: postgresql://user:password@host:port/database[?sslmode=require]`` —
  pg8000 directly; ``user``, ``password`` and ``database`` override the
  DSN's.

``password`` is normally ``${secret:db_password}``. ``query`` is one
statement; it is committed, so a migration step may run DDL or DML (checks
should only read). Connecting and every read from the server are bounded by
the step's timeout.

``expect`` keys (all optional):

- ``row_count``: the number of rows returned (for DML: rows affected);
- ``rows``: the rows, all of them, in order; each cell an expected value in
  the expectation language of ``luckyctl.steps.expect`` (``[[">= 8"]]``);
- ``scalar``: the first column of the first row, likewise (``scalar: 0`` for
  "no orphans"; ``scalar: null`` expects SQL NULL).

Metrics: ``row_count``, ``duration_s`` (the statement, not the connect), and
one metric per column named ``metric_<name>`` in the first row, recorded as
``<name>`` — ``SELECT 100.0 * … AS metric_integrity_pct`` records
``integrity_pct`` for a KPI. A ``metric_`` column that is not a number is
listed under the output ``bad_metrics``. Outputs: ``target``, ``columns``,
the first 20 ``rows`` (``truncated`` when there were more), ``row_count``,
``duration_s``, ``connect_s``. The password never appears in the inputs. A
refused login, an unknown database, an SQL error, a timeout or an Admin API
error is an ERROR naming the cause (``PostgreSQL 28P01: password
authentication failed for user "luckygas"``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import time
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from luckyctl.errors import StepError
from luckyctl.gcp.cloudsql import INSTANCE, CloudSqlConnector, connect_dsn, masked_dsn, parse_dsn
from luckyctl.gcp.credentials import shared_credentials
from luckyctl.gcp.endpoints import configured_endpoint
from luckyctl.gcp.errors import Cancelled, describe_error
from luckyctl.steps.services import shared
from luckyctl.model import SqlExpect, SqlSpec, StepStatus
from luckyctl.steps import expect
from luckyctl.steps.base import StepContext, StepOutcome

if TYPE_CHECKING:
    import pg8000.dbapi

CONNECTOR_KEY = "gcp.cloudsql"
IP_TYPES = ("public", "private", "psc")
ROWS_KEPT = 20
METRIC_PREFIX = "metric_"


def run_query(spec: SqlSpec, ctx: StepContext) -> StepOutcome:
    """Connect, run the statement, commit; PASSED when the result meets ``expect``."""
    _validate(spec)
    inputs = _inputs(spec)
    target = _target(spec)
    service = "Cloud SQL" if spec.instance else "PostgreSQL"
    started = time.monotonic()
    try:
        connection = _connect(spec, ctx)
    except Cancelled as exc:
        return StepOutcome(StepStatus.ERROR, str(exc), inputs=inputs)
    except ValueError as exc:  # the connector's word for a connection name or region that does not fit
        return StepOutcome(StepStatus.ERROR, f"{target}: {service} connector: {exc}", inputs=inputs)
    except Exception as exc:  # converted at this edge: Admin API, connector, TLS, login
        summary = describe_error(exc, service, timeout=ctx.timeout)
        if summary is None:
            raise
        return StepOutcome(StepStatus.ERROR, f"{target}: {summary}", inputs=inputs)
    connect_s = round(time.monotonic() - started, 3)
    try:
        columns, rows, row_count, duration_s = _execute(connection, spec.query)
    except Exception as exc:
        summary = describe_error(exc, service, timeout=ctx.timeout)
        if summary is None:
            raise
        return StepOutcome(StepStatus.ERROR, f"{target}: {summary}", inputs=inputs)
    finally:
        with contextlib.suppress(Exception):  # a connection that broke mid-query cannot be closed cleanly
            connection.close()
    return _outcome(spec, inputs, target, columns, rows, row_count, duration_s, connect_s)


def _validate(spec: SqlSpec) -> None:
    if spec.dsn is not None:
        parse_dsn(spec.dsn)
    if spec.instance is not None:
        if not INSTANCE.match(spec.instance):
            raise StepError(f"sql instance '{spec.instance}' is not project:region:instance")
        if not spec.user:
            raise StepError("a sql step on a Cloud SQL instance needs 'user'")
    if "scalar" in spec.expect.model_fields_set:
        expect.parse(spec.expect.scalar)
    for row in spec.expect.rows or []:
        for cell in row:
            expect.parse(cell)


def _inputs(spec: SqlSpec) -> dict[str, Any]:
    """The resolved spec without the password: evidence must not depend on redaction to be safe."""
    inputs = spec.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if inputs.get("password") is not None:
        inputs["password"] = "***"
    if spec.dsn:
        inputs["dsn"] = masked_dsn(spec.dsn)
    return inputs


def _target(spec: SqlSpec) -> str:
    if spec.instance:
        return f"{spec.instance}/{spec.database}" if spec.database else spec.instance
    parts = parse_dsn(spec.dsn or "")
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


def _connect(spec: SqlSpec, ctx: StepContext) -> pg8000.dbapi.Connection:
    if spec.dsn is not None:
        return connect_dsn(
            spec.dsn, user=spec.user, password=spec.password, database=spec.database, timeout=ctx.timeout
        )
    assert spec.instance is not None and spec.user is not None  # the model and _validate see to it
    return _connector(ctx).connect(
        spec.instance,
        user=spec.user,
        password=spec.password or "",
        database=spec.database,
        iam_auth=spec.iam_auth,
        timeout=ctx.timeout,
        cancel=ctx.cancel,
    )


def _connector(ctx: StepContext) -> CloudSqlConnector:
    ip_type = str(ctx.plan.vars.get("sql_ip_type", "public")).lower()
    if ip_type not in IP_TYPES:
        raise StepError(f"plan var sql_ip_type is '{ip_type}': use one of {', '.join(IP_TYPES)}")
    return shared(
        ctx.services,
        CONNECTOR_KEY,
        lambda: CloudSqlConnector(
            credentials=shared_credentials(ctx),
            sqladmin_endpoint=configured_endpoint(ctx.plan, "sqladmin"),
            ip_type=ip_type,
        ),
    )


def _execute(connection: pg8000.dbapi.Connection, query: str) -> tuple[list[str], list[list[Any]], int, float]:
    """Columns, rows (as JSON values), the row count (affected rows for DML) and the statement's seconds."""
    cursor = connection.cursor()
    started = time.perf_counter()
    cursor.execute(query)
    columns = [str(column[0]) for column in cursor.description] if cursor.description else []
    rows = [[_plain(value) for value in row] for row in cursor.fetchall()] if columns else []
    connection.commit()
    duration_s = round(time.perf_counter() - started, 4)
    return columns, rows, len(rows) if columns else max(cursor.rowcount, 0), duration_s


def _plain(value: Any) -> Any:
    """A database value as JSON can hold it: numbers stay numbers, times become ISO text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def _metrics(columns: list[str], rows: list[list[Any]]) -> tuple[dict[str, float], list[str]]:
    """``metric_<name>`` columns of the first row as metrics; the names of those that are not numbers."""
    metrics: dict[str, float] = {}
    bad: list[str] = []
    if not rows:
        return metrics, bad
    for column, value in zip(columns, rows[0], strict=True):
        if not column.startswith(METRIC_PREFIX) or column == METRIC_PREFIX:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            metrics[column[len(METRIC_PREFIX) :]] = float(value)
        else:
            bad.append(f"{column}={expect.describe(value)}")
    return metrics, bad


def _check(expected: SqlExpect, rows: list[list[Any]], row_count: int) -> list[str]:
    failures = []
    if expected.row_count is not None and row_count != expected.row_count:
        failures.append(f"row_count: expected {expected.row_count}, got {row_count}")
    if expected.rows is not None:
        if len(rows) != len(expected.rows):
            failures.append(f"rows: expected {len(expected.rows)} row(s), got {len(rows)}")
        else:
            cells = {f"{i}.{j}": cell for i, row in enumerate(expected.rows) for j, cell in enumerate(row)}
            widths = [
                f"rows.{i}: expected {len(row)} column(s), got {len(rows[i])}"
                for i, row in enumerate(expected.rows)
                if len(row) != len(rows[i])
            ]
            failures.extend(widths or expect.check_paths(rows, cells, prefix="rows."))
    if "scalar" in expected.model_fields_set:
        first = rows[0][0] if rows and rows[0] else expect.MISSING
        failure = expect.check(first, expected.scalar)
        if failure:
            failures.append(f"scalar: {failure}")
    return failures


def _outcome(
    spec: SqlSpec,
    inputs: dict[str, Any],
    target: str,
    columns: list[str],
    rows: list[list[Any]],
    row_count: int,
    duration_s: float,
    connect_s: float,
) -> StepOutcome:
    found, bad = _metrics(columns, rows)
    metrics = {"row_count": float(row_count), "duration_s": duration_s, **found}
    outputs: dict[str, Any] = {
        "target": target,
        "columns": columns,
        "rows": rows[:ROWS_KEPT],
        "row_count": row_count,
        "duration_s": duration_s,
        "connect_s": connect_s,
    }
    if len(rows) > ROWS_KEPT:
        outputs["truncated"] = True
    if bad:
        outputs["bad_metrics"] = bad
    failures = _check(spec.expect, rows, row_count)
    if failures:
        outputs["failures"] = failures
        summary = f"{target}: {expect.summarize(failures)}"
        return StepOutcome(StepStatus.FAILED, summary, inputs=inputs, outputs=outputs, metrics=metrics)
    first = f"; first value {expect.describe(rows[0][0])}" if rows and rows[0] else ""
    summary = f"{target}: {row_count} row(s) in {duration_s:g} s{first}"
    return StepOutcome(StepStatus.PASSED, summary, inputs=inputs, outputs=outputs, metrics=metrics)
