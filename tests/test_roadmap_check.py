"""``luckyctl roadmap check``: counts and "no problems", problems one per line, JSON, the shipped roadmap."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
SHIPPED_PLANS = sorted(path.stem for path in (REPO / "plans").glob("*.yaml"))

ROADMAP = """\
project:
  id: P
  name: Demo
  start: 2026-12-07
  roles: {backend: {title: Backend}}
risks:
  - {id: R1, title: Key exposure, impact: high, probability: low, mitigated_by: [A.1.1]}
epics:
  - id: A
    title: A
    stories:
      - id: A.1
        title: S
        tasks:
          - id: A.1.1
            title: Health
            owner: backend
            estimate: 1h
            checks:
              - http: {url: "${url}/health"}
"""
PLAN = 'name: demo\nvars: {url: "http://127.0.0.1:1"}\n'


@pytest.fixture
def demo(tmp_path: Path, write_roadmap: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with roadmap.yaml and plans/demo.yaml, as the current folder."""
    write_roadmap(ROADMAP)
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "demo.yaml").write_text(PLAN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_success_prints_counts_and_no_problems(demo: Path, cli: Callable) -> None:
    result = cli("--roadmap", "roadmap.yaml", "--plan", "demo", "roadmap", "check")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["1 epic, 1 story, 1 task, 1 risk, 0 KPIs, 0 checklist items", "no problems"]
    assert result.stderr == ""


def test_warnings_go_to_stderr_and_do_not_fail(demo: Path, cli: Callable) -> None:
    (demo / "roadmap.yaml").write_text(ROADMAP.replace("mitigated_by: [A.1.1]", "strategy: rotate"))
    result = cli("--roadmap", "roadmap.yaml", "--plan", "demo", "roadmap", "check")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == ["roadmap.yaml:7: warning: risk 'R1' has no mitigated_by tasks"]
    assert result.stdout.splitlines()[-1] == "no errors, 1 warning"
    quiet = cli("--roadmap", "roadmap.yaml", "--plan", "demo", "-q", "roadmap", "check")
    assert (quiet.exit_code, quiet.stderr) == (0, "")


def test_every_problem_gets_its_line(demo: Path, cli: Callable) -> None:
    (demo / "plans" / "demo.yaml").write_text("name: demo\nteam: {backend: [be-1], qa: [qa-1]}\n")
    result = cli("--roadmap", "roadmap.yaml", "--plan", "demo", "roadmap", "check")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "plans/demo.yaml:2: unknown role 'qa' in team",
        "roadmap.yaml:20: ${url} is not in the plan's vars (plan 'demo')",
    ]
    assert result.stdout.splitlines() == ["1 epic, 1 story, 1 task, 1 risk, 0 KPIs, 0 checklist items", "2 errors"]


def test_roadmap_and_plan_problems_together(demo: Path, cli: Callable) -> None:
    (demo / "roadmap.yaml").write_text(ROADMAP.replace("estimate: 1h", "estimate: soon"))
    (demo / "plans" / "demo.yaml").write_text(PLAN + "protected: maybe\n")
    result = cli("--roadmap", "roadmap.yaml", "--plan", "demo", "roadmap", "check")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "roadmap.yaml:18: estimate: expected a duration like '3h', '1d' or '60s', got 'soon'",
        "plans/demo.yaml:3: protected: expected true or false, got 'maybe'",
    ]
    assert result.stdout == "2 errors\n"


def test_json_is_one_document_from_the_same_report(demo: Path, cli: Callable) -> None:
    result = cli("--roadmap", "roadmap.yaml", "--plan", "demo", "roadmap", "check", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document == {
        "ok": True,
        "roadmap": "roadmap.yaml",
        "plan": "demo",
        "counts": {"epics": 1, "stories": 1, "tasks": 1, "risks": 1, "kpis": 0, "checklist_items": 0},
        "errors": 0,
        "warnings": 0,
        "problems": [],
    }
    (demo / "roadmap.yaml").write_text(ROADMAP.replace("A.1.1]", "A.1.9]"))
    result = cli("--roadmap", "roadmap.yaml", "--plan", "demo", "roadmap", "check", "--json")
    assert result.exit_code == 2
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert (document["ok"], document["counts"], document["errors"]) == (False, None, 1)
    assert document["problems"] == [
        {
            "severity": "error",
            "path": "roadmap.yaml",
            "line": 7,
            "message": "unknown id 'A.1.9' in mitigated_by (did you mean 'A.1.1'?)",
        }
    ]


def test_help_explains_the_command_and_its_option(cli: Callable) -> None:
    result = cli("roadmap", "check", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Load and lint the roadmap and the plan" in text
    assert "--json" in text and "Print the report as one JSON document" in text
    assert "check" in " ".join(cli("roadmap", "--help").stdout.split())


def test_the_shipped_plans_exist() -> None:
    assert {"sandbox", "staging", "production"} <= set(SHIPPED_PLANS)


@pytest.mark.parametrize("plan", SHIPPED_PLANS)
def test_the_shipped_roadmap_passes_under_every_plan(plan: str, cli: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = cli("--plan", plan, "roadmap", "check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "5 epics, 15 stories, 75 tasks, 5 risks, 6 KPIs, 15 checklist items"
    assert all(": warning: " in line for line in result.stderr.splitlines())
