"""Faults injected into the sandbox's stand-ins, met by a real ``task execute`` (docs/sandbox.md, *Fault injection*).

The quick part runs on the session's one sandbox: 503s that a step's
``retries`` ride out (Lucky API and Google stand-ins), a latency beyond the
step's timeout, a dropped connection, and under ``agile`` a faulty branch
that fails while an independent one succeeds. The long part
(``make reliability``) restarts PostgreSQL of a sandbox of its own in the
middle of a run, and ``sql`` steps with retries recover.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from engine_roadmaps import Project, one_story, sh, task
from helpers.sandbox import fresh_settings, state_dir

from luckyctl.sandbox import manager, processes
from luckyctl.sandbox.paths import SandboxPaths
from luckyctl.sandbox.settings import SandboxSettings


def add_fault(base_url: str, **rule: Any) -> dict[str, Any]:
    """A fault rule on the stand-in at ``base_url`` (the Lucky API or the Google APIs)."""
    response = httpx.post(f"{base_url}/_sandbox/faults", json=rule, timeout=5)
    response.raise_for_status()
    stored: dict[str, Any] = response.json()
    return stored


def faults_left(base_url: str) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = httpx.get(f"{base_url}/_sandbox/faults", timeout=5).json()["faults"]
    return answer


def evidence_of(project: Project, task_id: str) -> list[dict[str, Any]]:
    """The task's evidence rows in order, JSON columns parsed."""
    with sqlite3.connect(project.db_path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM evidence WHERE task_id = ? ORDER BY seq", (task_id,)).fetchall()
    parsed = []
    for row in rows:
        record = dict(row)
        for column in ("inputs", "outputs", "metrics", "artifacts"):
            record[column] = json.loads(record[column])
        parsed.append(record)
    return parsed


def http_call(url: str, **common: Any) -> dict[str, Any]:
    return {"http": {"url": url, "expect": {"status": 200}}, **common}


def test_a_step_rides_out_two_503s_with_its_retries(tmp_path: Path, api_url: str) -> None:
    fault = add_fault(api_url, path_regex="^/health$", methods=["GET"], status=503, times=2)
    project = Project(
        tmp_path,
        one_story(task("RETRY", steps=[http_call("${backend_url}/health")], retries=3)),
        plan={"vars": {"backend_url": api_url}},
    )
    done = project.cli("task", "execute", "P")
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.states() == {"RETRY": "succeeded"}
    rows = evidence_of(project, "RETRY")
    assert [(row["attempt"], row["status"]) for row in rows] == [(1, "failed"), (2, "failed"), (3, "passed")]
    assert [row["metrics"]["status_code"] for row in rows] == [503, 503, 200]
    assert "status 503, expected 200" in rows[0]["summary"]
    assert all(row["outputs"]["headers"]["x-luckyctl-fault"] == str(fault["id"]) for row in rows[:2])
    assert faults_left(api_url) == []  # used up by exactly those two requests


def test_a_google_api_step_rides_out_a_fault_of_the_google_stand_ins(
    tmp_path: Path, google_url: str, sandbox_settings: SandboxSettings
) -> None:
    add_fault(google_url, path_regex="/services/run.googleapis.com$", status=503, times=1)
    read = {"gcp": {"api": "serviceusage", "path": "/v1/projects/${gcp_project}/services/run.googleapis.com",
                    "expect": {"status": 200}}}  # fmt: skip
    plan = {
        "vars": {"gcp_project": sandbox_settings.project},
        "gcp": {"project": sandbox_settings.project, "credentials": "anonymous", "endpoints": {"serviceusage": google_url}},
    }
    project = Project(tmp_path, one_story(task("GCP", steps=[], checks=[read], retries=2)), plan=plan)
    done = project.cli("task", "execute", "P")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = evidence_of(project, "GCP")
    assert [(row["phase"], row["attempt"], row["status"]) for row in rows] == [("check", 1, "failed"), ("check", 2, "passed")]
    assert "UNAVAILABLE" in rows[0]["summary"]


def test_under_agile_faults_fail_only_their_branch(tmp_path: Path, api_url: str) -> None:
    add_fault(api_url, path_regex="^/version$", latency_ms=5000)  # far beyond the step's 1 s
    add_fault(api_url, path_regex="^/metrics$", drop_connection=True)
    slow = http_call("${backend_url}/version", timeout="1s")
    dropped = http_call("${backend_url}/metrics")
    good = [sh("echo GOOD >> side_effects"), http_call("${backend_url}/health")]
    project = Project(
        tmp_path,
        one_story(
            task("SLOW", steps=[slow]),
            task("SLOW_NEXT", "SLOW"),
            task("DROP", steps=[dropped]),
            task("DROP_NEXT", "DROP"),
            task("DROP_LAST", "DROP_NEXT"),
            task("GOOD", steps=good),
            task("GOOD_NEXT", "GOOD"),
        ),
        plan={"vars": {"backend_url": api_url}},
    )
    started = time.monotonic()
    done = project.cli("task", "execute", "P", "--strategy", "agile", "--parallel", "3")
    assert done.returncode == 1, done.stdout + done.stderr
    assert time.monotonic() - started < 4.5, "the timed-out step waited for the answer"
    assert project.states() == {
        "SLOW": "failed",
        "SLOW_NEXT": "blocked",
        "DROP": "failed",
        "DROP_NEXT": "blocked",
        "DROP_LAST": "blocked",
        "GOOD": "succeeded",
        "GOOD_NEXT": "succeeded",
    }
    assert project.side_effects() == ["GOOD", "GOOD_NEXT"]
    target = api_url.removeprefix("http://")

    [timed_out] = evidence_of(project, "SLOW")
    assert timed_out["status"] == "error"
    assert timed_out["summary"] == f"timed out after 1.0s waiting for {target}"
    [cut] = evidence_of(project, "DROP")
    assert cut["status"] == "error"
    assert cut["summary"].startswith("RemoteProtocolError from " + target)
    assert "disconnected without sending a response" in cut["summary"]
    assert "timed out after 1.0s" in done.stdout and "depends on DROP_NEXT, which is blocked" in done.stdout


# ---------------------------------------------------------------- long: PostgreSQL restarted mid-run


@pytest.fixture(scope="module")
def own_sandbox() -> Iterator[tuple[SandboxSettings, Path]]:
    """A sandbox of this module's own: its PostgreSQL is stopped and started again, which no other test must see."""
    for directory in state_dir():
        settings = fresh_settings()
        manager.up(settings, directory)
        try:
            yield settings, directory
        finally:
            manager.down(directory)


def _stop_postgres(directory: Path) -> None:
    record = processes.PidRecord.read(SandboxPaths(directory).pid_file(manager.ServiceName.POSTGRES.value))
    assert record is not None and processes.is_alive(record)
    assert processes.stop(record, signal.SIGINT)  # PostgreSQL's fast shutdown, as `sandbox down` sends


def _first_error(project: Project, task_id: str) -> bool:
    if not project.db_path.exists():
        return False
    with sqlite3.connect(f"file:{project.db_path}?mode=ro", uri=True, timeout=10) as conn:
        try:
            found = conn.execute("SELECT 1 FROM evidence WHERE task_id = ? AND status = 'error'", (task_id,)).fetchone()
        except sqlite3.OperationalError:  # the store is still being created
            return False
    return found is not None


@pytest.mark.reliability
def test_sql_steps_with_retries_recover_when_postgresql_restarts_mid_run(
    tmp_path: Path, own_sandbox: tuple[SandboxSettings, Path]
) -> None:
    settings, directory = own_sandbox
    dsn = f"postgresql://{settings.db_user}:{settings.db_password}@127.0.0.1:{settings.postgres_port}/{settings.database}"
    direct = {"sql": {"dsn": dsn, "query": "SELECT count(*) FROM pg_stat_activity", "expect": {"row_count": 1}},
              "retries": 6, "timeout": "5s"}  # fmt: skip
    connector = {"sql": {"instance": settings.connection_name, "user": settings.db_user, "password": settings.db_password,
                         "database": settings.database, "query": "SELECT 1", "expect": {"scalar": 1}}, "retries": 3}  # fmt: skip
    plan = {
        "vars": {"region": settings.region},
        "gcp": {"project": settings.project, "credentials": "anonymous", "endpoints": {"sqladmin": settings.google_url}},
    }
    project = Project(
        tmp_path,
        one_story(
            task("BEFORE", steps=[direct]),
            task("PAUSE", "BEFORE", steps=[sh("echo PAUSE >> side_effects; while [ ! -f go ]; do sleep 0.05; done")]),
            task("AFTER", "PAUSE", steps=[direct, connector]),
        ),
        plan=plan,
    )
    run = project.popen("task", "execute", "P")
    try:
        project.wait_for(lambda: "PAUSE" in project.side_effects())
        _stop_postgres(directory)
        (tmp_path / "go").touch()
        project.wait_for(lambda: _first_error(project, "AFTER"))
        restarted = manager.up(settings, directory)
        assert restarted.started == (manager.ServiceName.POSTGRES,)
        out, err = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, out + err
    assert project.states() == {"BEFORE": "succeeded", "PAUSE": "succeeded", "AFTER": "succeeded"}
    rows = evidence_of(project, "AFTER")
    direct_rows = [row for row in rows if row["step_index"] == 0]
    assert direct_rows[0]["status"] == "error" and direct_rows[-1]["status"] == "passed"
    assert len(direct_rows) >= 2, direct_rows
    assert "refused" in direct_rows[0]["summary"].lower() or "connect" in direct_rows[0]["summary"].lower()
    assert [row["status"] for row in rows if row["step_index"] == 1] == ["passed"]
    assert settings.db_password not in json.dumps(rows)
