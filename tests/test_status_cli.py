"""``luckyctl task status`` and ``task show`` through the real CLI on a small YAML roadmap."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import Result
from test_graph_builders import lucky_epics, write_project
from typer.testing import CliRunner

from luckyctl.cli.app import app
from luckyctl.model import TaskState
from luckyctl.store import Store


class Project:
    """A folder with a roadmap, a plan named ``test`` and an evidence home."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.roadmap, self.plan = write_project(folder, lucky_epics())
        self.home = folder / "evidence"
        self.store_path = self.home / "test" / "luckyctl.db"

    def run(self, *args: str) -> Result:
        options = ["--roadmap", str(self.roadmap), "--plan", str(self.plan), "--home", str(self.home)]
        environment = {"XDG_CACHE_HOME": str(self.folder / "cache"), "FORCE_COLOR": None, "TTY_COMPATIBLE": None}
        return CliRunner().invoke(app, [*options, *args], env=environment)

    def store(self) -> Store:
        return Store.open(self.store_path)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def minutes_ago(minutes: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)).isoformat()


def test_before_anything_ran_every_task_is_pending_and_no_store_is_created(project: Project) -> None:
    result = project.run("task", "status")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "P  Test project  plan test",
        "FE-INT  Frontend Integration  days 1-3  0/4 done, 0% of 17h  pending 4",
        "  FE-INT.1  API client and JWT auth  0/2 done  pending 2",
        "  FE-INT.2  Access control and CORS  0/2 done  pending 2",
        "GCP-SETUP  Google Cloud Setup  days 4-6  0/1 done, 0% of 1h  pending 1",
        "  GCP-SETUP.1  Identity and access  0/1 done  pending 1",
        "total  0/5 done, 0% of 18h  pending 5",
    ]
    assert not project.home.exists()


def test_all_epics_lists_every_task_with_what_the_store_recorded(project: Project) -> None:
    store = project.store()
    store.set_state("FE-INT.1.1", TaskState.SUCCEEDED, attempts=1, last_evidence_at=minutes_ago(3.1))
    store.set_state(
        "FE-INT.1.2",
        TaskState.FAILED,
        attempts=2,
        reason="check 1: status 500, expected 200",
        last_evidence_at=minutes_ago(125),
    )
    store.set_state("FE-INT.2.1", TaskState.BLOCKED, reason="FE-INT.1.2 failed")
    store.assign([{"task_id": "FE-INT.1.1", "assignee": "dev-1", "role": "dev"}], assigned_by="lead")
    store.close()
    result = project.run("task", "status", "--all-epics")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "P  Test project  plan test",
        "FE-INT  Frontend Integration  days 1-3  1/4 done, 17% of 17h  pending 1, succeeded 1, failed 1, blocked 1",
        "  FE-INT.1  API client and JWT auth  1/2 done  succeeded 1, failed 1",
        "    succeeded  FE-INT.1.1     dev  dev-1  1 attempt   3m ago  Task FE-INT.1.1",
        "    failed     FE-INT.1.2     dev  -      2 attempts  2h ago  Task FE-INT.1.2"
        " (check 1: status 500, expected 200)",
        "  FE-INT.2  Access control and CORS  0/2 done  pending 1, blocked 1",
        "    blocked    FE-INT.2.1     ops  -      -           -       Task FE-INT.2.1 (FE-INT.1.2 failed)",
        "    pending    FE-INT.2.2     dev  -      -           -       Task FE-INT.2.2",
        "GCP-SETUP  Google Cloud Setup  days 4-6  0/1 done, 0% of 1h  pending 1",
        "  GCP-SETUP.1  Identity and access  0/1 done  pending 1",
        "    pending    GCP-SETUP.1.1  ops  -      -           -       Task GCP-SETUP.1.1",
        "total  1/5 done, 16% of 18h  pending 2, succeeded 1, failed 1, blocked 1",
    ]


def test_a_selector_expands_only_its_tasks(project: Project) -> None:
    result = project.run("task", "status", "FE-INT.2,GCP-SETUP.1.1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "P  Test project  plan test",
        "FE-INT  Frontend Integration  days 1-3  0/2 done, 0% of 10h  pending 2",
        "  FE-INT.2  Access control and CORS  0/2 done  pending 2",
        "    pending  FE-INT.2.1     ops  -  -  -  Task FE-INT.2.1",
        "    pending  FE-INT.2.2     dev  -  -  -  Task FE-INT.2.2",
        "GCP-SETUP  Google Cloud Setup  days 4-6  0/1 done, 0% of 1h  pending 1",
        "  GCP-SETUP.1  Identity and access  0/1 done  pending 1",
        "    pending  GCP-SETUP.1.1  ops  -  -  -  Task GCP-SETUP.1.1",
        "total  0/3 done, 0% of 11h  pending 3",
    ]


def test_json_is_one_document_built_from_the_same_result(project: Project) -> None:
    store = project.store()
    store.set_state("FE-INT.1.1", TaskState.SUCCEEDED, attempts=1, last_evidence_at="2026-12-07T10:00:00+00:00")
    store.close()
    result = project.run("task", "status", "FE-INT.1", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["project"] == {"id": "P", "name": "Test project"}
    assert document["plan"] == "test"
    [epic] = document["epics"]
    assert [story["id"] for story in epic["stories"]] == ["FE-INT.1"]
    assert epic["stories"][0]["tasks"][0] == {
        "id": "FE-INT.1.1",
        "title": "Task FE-INT.1.1",
        "owner": "dev",
        "assignee": None,
        "state": "succeeded",
        "attempts": 1,
        "estimate_hours": 3.0,
        "reason": None,
        "last_evidence_at": "2026-12-07T10:00:00+00:00",
    }
    assert document["totals"]["states"]["succeeded"] == 1
    assert document["totals"]["percent_done"] == pytest.approx(42.9)


def test_an_unknown_id_is_one_line_on_stderr_and_exit_2(project: Project) -> None:
    result = project.run("task", "status", "FE-IMT")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "luckyctl: error: unknown id 'FE-IMT' (did you mean FE-INT?)\n"


def test_show_prints_one_task_and_its_json(project: Project) -> None:
    store = project.store()
    store.set_state("FE-INT.1.1", TaskState.SUCCEEDED, attempts=1)
    store.close()
    text = project.run("task", "show", "FE-INT.2.1")
    assert text.exit_code == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[:3] == [
        "FE-INT.2.1  Task FE-INT.2.1",
        "  state             pending",
        "  epic              FE-INT  Frontend Integration",
    ]
    assert "  FE-INT.1.1  succeeded  Task FE-INT.1.1" in lines
    as_json = project.run("task", "show", "FE-INT.2.1", "--json")
    document = json.loads(as_json.stdout)
    assert [dep["id"] for dep in document["depends_on"]] == ["FE-INT.1.1", "FE-INT.1.2"]
    assert document["dependents"] == [{"id": "GCP-SETUP.1.1", "title": "Task GCP-SETUP.1.1", "state": "pending"}]
    missing = project.run("task", "show", "FE-INT.2.9")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("luckyctl: error: unknown id 'FE-INT.2.9' (did you mean ")
