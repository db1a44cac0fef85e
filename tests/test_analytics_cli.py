"""``task analytics`` and ``analyze --risks`` through the real CLI, on the hand-worked scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from test_analytics import add_evidence, scenario_epics, scenario_store
from test_risks import PROJECT, RISKS
from typer.testing import CliRunner

from luckyctl.cli.app import app
from luckyctl.model import TaskState
from luckyctl.store import Store

AS_OF = "2026-12-10T15:00:00"  # Thursday, business day 4


class Folder:
    """A single-file roadmap, a plan named ``test`` with ``team`` and an evidence home, and the CLI on them."""

    def __init__(self, root: Path, roadmap: dict[str, Any], team: dict[str, list[str]]) -> None:
        self.root = root
        self.roadmap = root / "roadmap.yaml"
        self.roadmap.write_text(yaml.safe_dump(roadmap, sort_keys=False))
        self.plan = root / "test.yaml"
        self.plan.write_text(yaml.safe_dump({"name": "test", "team": team}))
        self.home = root / "evidence"
        self.store_path = self.home / "test" / "luckyctl.db"

    def run(self, *args: str) -> Result:
        options = ["--roadmap", str(self.roadmap), "--plan", str(self.plan), "--home", str(self.home)]
        environment = {"XDG_CACHE_HOME": str(self.root / "cache"), "FORCE_COLOR": None, "TTY_COMPATIBLE": None}
        return CliRunner().invoke(app, [*options, *args], env=environment)

    def store(self) -> Store:
        return Store.open(self.store_path)

    def with_history(self) -> Store:
        self.store_path.parent.mkdir(parents=True)
        return scenario_store(self.store_path)


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path, {"project": PROJECT, "risks": RISKS, "epics": scenario_epics()}, {"dev": ["be-1", "be-2"]})


def test_dashboard_key_figures(folder: Folder) -> None:
    folder.with_history().close()
    result = folder.run("task", "analytics", "--project", "P", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:8] == [
        "P  Test project  as of 2026-12-10 15:00Z (day 4)",
        "  progress  3/6 tasks done, 50.0% of 40h (20h left)",
        "  states    pending 1, running 1, succeeded 3, blocked 1",
        "  schedule  planned end day 4 (2026-12-10), projected day 5 (2026-12-11): +1 day late",
        "  ETA       day 5 (2026-12-11), 2 business days left (16h, 2 tasks on the critical path)",
        "  velocity  5.0h/day over 4 days; at this pace 4 more days, day 7 (2026-12-15)",
        "  failures  1 of 4 attempts failed (25%); 1 of 4 tasks retried (25%)",
        "  evidence  1 of 2 tasks with checks have passing evidence (50%)",
    ]
    assert "  E1    3/3   ########################  100%  1-2      1-3     3          +1 day late  Epic E1" in lines
    assert "  D → E" in lines
    assert "  4    2026-12-10  0.0      20.0    ############............  ◀ today" in lines
    assert "  F     waiting for the GCP quota  Task F" in lines
    assert "  be-1      dev   3      24h       16h   8h" in lines
    assert "  unassigned: 2 tasks, 12h" in lines


def test_json_shape_and_figures(folder: Folder) -> None:
    folder.with_history().close()
    result = folder.run("task", "analytics", "--project", "P", "--json", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == [
        "plan",
        "project",
        "as_of",
        "today_day",
        "work_start_day",
        "progress",
        "epics",
        "schedule",
        "critical_path",
        "eta",
        "burndown",
        "velocity",
        "durations",
        "reliability",
        "evidence_coverage",
        "blocked",
        "workload",
        "gantt",
    ]
    assert document["plan"] == "test"
    assert document["project"] == {
        "id": "P",
        "name": "Test project",
        "start": "2026-12-07",
        "calendar": "business-days",
    }
    assert document["as_of"] == "2026-12-10T15:00:00+00:00"
    assert document["eta"] == {"day": 5, "date": "2026-12-11", "business_days_left": 2, "remaining_hours": 20.0}
    assert document["schedule"]["variance_days"] == 1 and document["schedule"]["status"] == "late"
    assert set(document["epics"][0]) == {
        "id",
        "title",
        "progress",
        "stories",
        "planned",
        "actual",
        "projected_end_day",
        "projected_end_date",
        "variance_days",
    }
    assert set(document["gantt"][0]) == {
        "task_id", "title", "epic_id", "story_id", "owner", "assignee", "state", "planned", "planned_source",
        "actual", "on_critical_path", "on_remaining_critical_path",
    }  # fmt: skip


def test_before_anything_ran_no_store_is_created(folder: Folder) -> None:
    result = folder.run("task", "analytics", "--json", "--as-of", "2026-11-26")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["progress"]["states"]["pending"] == 6
    assert not folder.home.exists()


def test_a_wrong_project_is_an_input_error_with_a_suggestion(folder: Folder) -> None:
    folder.roadmap.write_text(folder.roadmap.read_text().replace("id: P\n", "id: PROD-DEPLOY-001\n", 1))
    result = folder.run("task", "analytics", "--project", "PROD-DEPLOY-01")
    assert result.exit_code == 2
    assert result.stderr == "luckyctl: error: --project: unknown id 'PROD-DEPLOY-01' (did you mean PROD-DEPLOY-001?)\n"
    assert folder.run("task", "analytics", "--as-of", "soon").exit_code == 2


def test_html_and_markdown_files(folder: Folder) -> None:
    folder.with_history().close()
    page, notes = folder.root / "report.html", folder.root / "report.md"
    result = folder.run(
        "-q", "task", "analytics", "--as-of", AS_OF, "--html", str(page), "--markdown", str(notes), "--json"
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["eta"]["day"] == 5
    assert page.read_text().startswith("<!DOCTYPE html>") and "Risk heat map" in page.read_text()
    text = notes.read_text()
    assert "| ETA | day 5 (2026-12-11) |" in text
    # A is proven (R1 a third mitigated: 6 × ⅔ = 4); E1's last planned day (2) has passed.
    assert "| R1 | Data loss | 6 high | 33% | 4 medium | overdue | dev | B |" in text
    missing = folder.root / "no" / "such" / "report.html"
    failed = folder.run("task", "analytics", "--html", str(missing))
    assert failed.exit_code == 2 and failed.stderr.startswith(f"luckyctl: error: {missing}: cannot write")


def test_risks_require_the_flag(folder: Folder) -> None:
    result = folder.run("analyze")
    assert result.exit_code == 2
    assert result.stderr == "luckyctl: error: nothing to analyze: add --risks (the risk matrix and its mitigation)\n"


def test_risk_table_matrix_and_mitigation_status(folder: Folder) -> None:
    result = folder.run("analyze", "--risks", "--mitigation-status", "--as-of", "2026-12-07")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:12] == [
        "P  risks as of day 1 (2026-12-07)",
        "matrix (impact × probability)",
        "  inherent",
        "    impact \\ probability  low  medium  high",
        "    high                  -    R1      -",
        "    medium                R2   -       -",
        "    low                   -    -       -",
        "  residual",
        "    impact \\ probability  low  medium  high",
        "    high                  -    R1      -",
        "    medium                R2   -       -",
        "    low                   -    -       -",
    ]
    assert "  R1    high×medium  6 high    0/3 (0%)   6 high    open    dev    A     Data loss" in lines
    assert "  A     pending  to do     day 2 (2026-12-08)  -         Task A" in lines


def test_fail_on_exit_codes_follow_the_residual_level(folder: Folder) -> None:
    assert folder.run("analyze", "--risks", "--fail-on", "high", "--as-of", "2026-12-07").exit_code == 1
    store = Store.open(folder.store_path)
    store.set_state("A", TaskState.SUCCEEDED)
    add_evidence(store, "A", "r1", 1, "passed")
    store.close()
    # R1: 6 × (1 − 1/3) = 4, medium.
    high = folder.run("analyze", "--risks", "--fail-on", "high", "--json", "--as-of", "2026-12-07")
    assert high.exit_code == 0, high.stderr
    document = json.loads(high.stdout)
    assert [(r["id"], r["residual_score"], r["residual_level"], r["status"]) for r in document["risks"]] == [
        ("R1", 4.0, "medium", "in-progress"),
        ("R2", 2.0, "low", "open"),
    ]
    medium = folder.run("analyze", "--risks", "--fail-on", "medium", "--as-of", "2026-12-07")
    assert medium.exit_code == 1
    assert medium.stderr == "luckyctl: 1 risk(s) at residual medium or above: R1 medium\n"
    assert folder.run("analyze", "--risks", "--fail-on", "severe").exit_code == 2
