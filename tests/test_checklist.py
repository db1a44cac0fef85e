"""The go-live checklist: item states from tasks, KPIs and confirmations; the release gate requires pre-deployment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_roadmaps import epic, roadmap, sh, story, task
from test_gate_support import GateProject, check, metric, output


def checklist_roadmap() -> dict[str, Any]:
    document = roadmap(
        epic(
            "CI",
            story("CI.1", task("TESTS", checks=[check("suite", "echo 12 passed")]), task("SCAN", steps=[sh("exit 1")])),
            story("CI.2", task("LOAD", steps=[], checks=[check("load", metric("p95_ms", 120))]), task("LATER")),
        ),
        epic("LIVE", story("LIVE.1", task("DEPLOY"))),
    )
    document["kpis"] = [
        {
            "id": "p95",
            "title": "p95",
            "target": {"op": "<", "value": 200, "unit": "ms"},
            "source": {"task": "LOAD", "metric": "p95_ms"},
        },
        {
            "id": "uptime",
            "title": "Uptime",
            "target": {"op": ">=", "value": 99.9},
            "source": {"task": "DEPLOY", "metric": "uptime"},
        },
    ]
    document["checklist"] = [
        {"id": "pre-1", "phase": "pre-deployment", "title": "Tests passing", "satisfied_by": ["TESTS"]},
        {"id": "pre-2", "phase": "pre-deployment", "title": "Security scan", "satisfied_by": ["SCAN"]},
        {"id": "pre-3", "phase": "pre-deployment", "title": "Performance", "satisfied_by": ["CI.2"], "kpis": ["p95"]},
        {"id": "pre-4", "phase": "pre-deployment", "title": "Documentation updated", "manual": True},
        {"id": "day-1", "phase": "deployment-day", "title": "Deployed", "satisfied_by": ["DEPLOY"]},
        {"id": "post-1", "phase": "post-deployment", "title": "Uptime", "kpis": ["uptime"]},
    ]
    return document


@pytest.fixture
def project(tmp_path: Path) -> GateProject:
    project = GateProject(tmp_path, checklist_roadmap())
    assert project.execute("TESTS,SCAN,LOAD").exit_code == 1  # SCAN fails
    return project


def items(project: GateProject, *extra: str) -> tuple[int, dict[str, dict[str, Any]]]:
    result = project.run("checklist", *extra, "--json")
    return result.exit_code, {item["id"]: item for item in json.loads(result.stdout)["items"]}


def test_each_item_is_done_pending_or_failing_with_its_reason(project: GateProject) -> None:
    code, found = items(project)
    assert code == 1  # an item is failing
    assert {item_id: item["state"] for item_id, item in found.items()} == {
        "pre-1": "done",
        "pre-2": "failing",
        "pre-3": "pending",
        "pre-4": "pending",
        "day-1": "pending",
        "post-1": "pending",
    }
    assert found["pre-1"]["reason"] is None
    assert found["pre-2"]["reason"] == "SCAN: failed: step 1 (run): exit code 1, expected 0"
    assert found["pre-3"]["reason"] == "LATER: not run"  # LOAD is proven and its KPI met; LATER has not run
    assert found["pre-4"]["reason"] == "not confirmed: luckyctl checklist confirm pre-4 --by NAME"
    assert found["post-1"]["reason"].startswith("KPI uptime: no data (no passing evidence of DEPLOY records uptime)")


def test_a_missed_kpi_makes_an_item_failing(tmp_path: Path) -> None:
    document = checklist_roadmap()
    document["epics"][0]["stories"][1]["tasks"][0]["checks"] = [check("load", metric("p95_ms", 450))]
    project = GateProject(tmp_path, document)
    project.execute("CI.2")
    _, found = items(project, "--phase", "pre-deployment")
    assert found["pre-3"]["state"] == "failing"
    assert found["pre-3"]["reason"] == "KPI p95: measured 450 ms, target < 200 ms"
    assert set(found) == {"pre-1", "pre-2", "pre-3", "pre-4"}


def test_confirm_records_a_signoff_for_a_manual_item(project: GateProject) -> None:
    confirmed = project.run("checklist", "confirm", "pre-4", "--by", "tech-writer", "--note", "runbook v3 published")
    assert confirmed.exit_code == 0, output(confirmed)
    assert "checklist pre-4 confirmed by tech-writer (evidence record" in confirmed.stderr
    assert project.sql("SELECT task_id, phase, summary FROM evidence WHERE task_id = 'pre-4'") == [
        ("pre-4", "signoff", "signed off by tech-writer: runbook v3 published")
    ]
    _, found = items(project)
    assert found["pre-4"]["state"] == "done" and found["pre-4"]["confirmed_by"] == "tech-writer"
    as_json = project.run("checklist", "confirm", "pre-4", "--by", "lead", "--json")
    assert json.loads(as_json.stdout)["by"] == "lead"


@pytest.mark.parametrize(
    ("item", "message"),
    [("pre-9", "unknown checklist item 'pre-9' (did you mean pre-"), ("pre-1", "checklist item pre-1 is not manual")],
)
def test_confirm_input_errors_exit_2_and_write_nothing(tmp_path: Path, item: str, message: str) -> None:
    project = GateProject(tmp_path, checklist_roadmap())
    result = project.run("checklist", "confirm", item, "--by", "someone")
    assert result.exit_code == 2
    assert message in result.stderr
    assert not project.db_path.exists()


def test_the_table_and_exit_codes_per_phase(project: GateProject) -> None:
    table = project.run("checklist", "--phase", "pre-deployment")
    assert table.exit_code == 1
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["item", "phase", "state", "title", "reason"]
    assert any(line.split()[:3] == ["pre-2", "pre-deployment", "failing"] for line in lines)
    assert lines[-1] == "1 done, 2 pending, 1 failing"
    assert project.run("checklist", "--phase", "deployment-day").exit_code == 3  # pending only
    project.execute("DEPLOY")
    done = project.run("checklist", "--phase", "deployment-day")
    assert done.exit_code == 0, output(done)
    assert done.stdout.splitlines()[-1] == "1 done, 0 pending, 0 failing"
    assert project.run("checklist", "--phase", "someday").exit_code == 2


def test_the_release_gate_needs_every_pre_deployment_item_done(tmp_path: Path) -> None:
    document = checklist_roadmap()
    document["epics"][0]["stories"][0]["tasks"][1]["steps"] = [sh("true")]  # SCAN passes
    document["kpis"] = document["kpis"][:1]
    document["checklist"] = [item for item in document["checklist"] if item["id"] != "post-1"]
    project = GateProject(tmp_path, document)
    assert project.execute("P").exit_code == 0
    assert project.validate("LIVE.1").exit_code == 0  # not the release
    gate = project.validate("LIVE", "--format", "json")
    assert gate.exit_code == 1
    findings = json.loads(gate.stdout)["findings"]
    assert [(item["subject"], item["kind"]) for item in findings] == [("pre-4", "checklist-not-done")]
    assert findings[0]["message"] == (
        "checklist pre-4 (Documentation updated) is pending: not confirmed: luckyctl checklist confirm pre-4 --by NAME"
    )
    table = project.validate("LIVE")
    assert "gate-wide findings" in table.stdout
    assert any(line.split()[:2] == ["pre-4", "checklist-not-done"] for line in table.stdout.splitlines())
    project.run("checklist", "confirm", "pre-4", "--by", "tech-writer")
    passed = project.validate("LIVE")
    assert passed.exit_code == 0, output(passed)
    assert "checklist (pre-deployment)" in passed.stdout
