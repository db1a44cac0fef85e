"""The gate's reports, read by what reads them: a JUnit parser, the SARIF 2.1.0 schema, GitHub Actions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from engine_roadmaps import epic, roadmap, sh, story, task
from junitparser import Failure, JUnitXml
from test_gate_support import GateProject, check, metric, output

from luckyctl.loader import load_roadmap
from luckyctl.report.gate_github import escape_data, escape_property

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def release_roadmap() -> dict[str, Any]:
    """Two epics (the second is the go-live), a KPI from a check's metric, a pre-deployment checklist."""
    document = roadmap(
        epic(
            "BUILD",
            story(
                "BUILD.1",
                task("OK", checks=[check("unit tests", "echo passed")]),
                task("BAD", steps=[sh("exit 2")]),
            ),
        ),
        epic(
            "LIVE",
            story(
                "LIVE.1",
                task("PROBE", steps=[], checks=[check("latency", metric("p95_ms", 250))], title="Probe | p95"),
            ),
        ),
    )
    document["kpis"] = [
        {
            "id": "p95",
            "title": "Response time p95",
            "target": {"op": "<", "value": 200, "unit": "ms"},
            "key": True,
            "weight": 2,
            "source": {"task": "PROBE", "metric": "p95_ms"},
        }
    ]
    document["checklist"] = [
        {"id": "pre-1", "phase": "pre-deployment", "title": "Tests passing", "satisfied_by": ["OK"]},
        {"id": "pre-2", "phase": "pre-deployment", "title": "Docs updated", "manual": True},
    ]
    return document


@pytest.fixture
def project(tmp_path: Path) -> GateProject:
    project = GateProject(tmp_path, release_roadmap())
    assert project.execute("P").exit_code == 1  # BAD fails
    return project


def test_junit_has_a_suite_per_epic_a_case_per_task_and_the_gate_suite(project: GateProject, tmp_path: Path) -> None:
    report = tmp_path / "gate.xml"
    result = project.validate("P", "--format", "junit", "--output", str(report))
    assert result.exit_code == 1, output(result)
    xml = JUnitXml.fromfile(str(report))
    suites = {suite.name: suite for suite in xml}
    assert list(suites) == ["BUILD", "LIVE", "gate"]
    assert (xml.tests, xml.failures, xml.errors) == (7, 3, 0)
    cases = {case.name: case for suite in xml for case in suite}
    assert set(cases) == {
        "OK task OK",
        "BAD task BAD",
        "PROBE Probe | p95",
        "evidence chain intact",
        "KPI p95 Response time p95",
        "checklist pre-1 Tests passing",
        "checklist pre-2 Docs updated",
    }
    assert cases["OK task OK"].is_passed
    assert "check 'unit tests' passed at " in cases["OK task OK"].system_out
    failure = cases["BAD task BAD"].result[0]
    assert isinstance(failure, Failure)
    assert failure.message == "failed: step 1 (run): exit code 2, expected 0"
    assert failure.type == "failed"
    assert cases["PROBE Probe | p95"].is_passed  # the task is proven; its KPI is not met
    kpi = cases["KPI p95 Response time p95"].result[0]
    assert kpi.message.startswith("KPI p95: measured 250 ms, target < 200 ms")
    assert cases["checklist pre-1 Tests passing"].is_passed
    assert "not confirmed" in cases["checklist pre-2 Docs updated"].result[0].message
    assert cases["evidence chain intact"].is_passed
    assert suites["BUILD"].tests == 2 and suites["BUILD"].failures == 1


def test_junit_of_a_passing_selection_has_no_failures(project: GateProject, tmp_path: Path) -> None:
    result = project.validate("OK", "--format", "junit")
    assert result.exit_code == 0
    xml = JUnitXml.fromstring(result.stdout)
    assert (xml.tests, xml.failures) == (2, 0)
    assert [suite.name for suite in xml] == ["BUILD", "gate"]


def sarif_of(project: GateProject, *extra: str) -> dict[str, Any]:
    result = project.validate("P", "--format", "sarif", *extra)
    assert result.exit_code == 1, output(result)
    return json.loads(result.stdout)


def test_sarif_validates_against_the_schema_and_points_at_the_roadmap(
    project: GateProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    document = sarif_of(project)
    jsonschema.validate(document, json.loads(SCHEMA.read_text()), cls=jsonschema.Draft4Validator)
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "luckyctl" and driver["version"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    results = run["results"]
    assert [(item["ruleId"], item["properties"]["subject"]) for item in results] == [
        ("failed", "BAD"),
        ("kpi-failed", "p95"),
        ("checklist-not-done", "pre-2"),
    ]
    assert all(item["level"] == "error" and rule_ids[item["ruleIndex"]] == item["ruleId"] for item in results)
    roadmap_file = load_roadmap(project.root / "roadmap.yaml")
    for item in results:
        place = item["locations"][0]["physicalLocation"]
        assert place["artifactLocation"]["uri"] == "roadmap.yaml"
        assert place["region"]["startLine"] == roadmap_file.location(item["properties"]["subject"])[1]
    assert results[0]["message"]["text"] == "BAD: failed: step 1 (run): exit code 2, expected 0"


def test_sarif_fingerprints_are_stable_and_distinct(project: GateProject) -> None:
    first = sarif_of(project)["runs"][0]["results"]
    again = sarif_of(project)["runs"][0]["results"]
    prints = [item["partialFingerprints"] for item in first]
    assert prints == [item["partialFingerprints"] for item in again]
    assert len({json.dumps(item, sort_keys=True) for item in prints}) == len(prints)


def test_sarif_points_a_missing_check_at_the_checks_line(project: GateProject) -> None:
    project.sql("DELETE FROM evidence WHERE task_id = 'OK' AND phase = 'check'")
    results = sarif_of(project)["runs"][0]["results"]
    missing = [item for item in results if item["ruleId"] == "missing-evidence"]
    roadmap_file = load_roadmap(project.root / "roadmap.yaml")
    task_line = roadmap_file.location("OK")[1]
    check_line = roadmap_file.location("OK:checks[0]")[1]
    assert check_line > task_line
    assert missing[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == check_line
    outside = missing[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert outside.startswith("file://")  # run from elsewhere: an absolute file URI


def test_markdown_is_a_summary_table(project: GateProject) -> None:
    result = project.validate("P", "--format", "markdown")
    assert result.exit_code == 1
    text = result.stdout
    assert text.startswith("## ❌ luckyctl gate failed: `P` on plan `sandbox`")
    assert "| Task | Title | State | Gate | Reason |" in text
    assert "| `BAD` | task BAD | failed | ❌ fail | failed: step 1 (run): exit code 2, expected 0 |" in text
    assert "| `OK` | task OK | succeeded | ✅ pass | - |" in text
    assert "### KPIs: score 0% (0/2): fail (key KPI p95 not met)" in text
    assert "| `pre-2` | Docs updated | pending |" in text
    assert "| `PROBE` | Probe \\| p95 | succeeded |" in text


def test_github_step_summary_and_error_annotations(project: GateProject, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    result = project.validate("BAD,OK", env=env)
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert errors == ["::error title=BAD::failed: step 1 (run): exit code 2, expected 0"]
    text = summary.read_text()
    assert text.startswith("# earlier step\n## ❌ luckyctl gate failed: `BAD,OK`")

    as_json = project.validate("BAD", "--format", "json", env=env)
    assert json.loads(as_json.stdout)["passed"] is False  # stdout stays one JSON document
    assert "::error title=BAD::" in as_json.stderr
    assert summary.read_text().count("luckyctl gate failed") == 2

    quiet = project.validate("OK", env={})
    assert "::error" not in quiet.stdout


def test_annotations_escape_what_would_end_the_command() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"


def test_an_unwritable_step_summary_is_an_input_error(project: GateProject, tmp_path: Path) -> None:
    result = project.validate("OK", env={"GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "such" / "file")})
    assert result.exit_code == 2
    assert "cannot append the summary" in result.stderr


def test_the_table_on_a_terminal_is_rich(project: GateProject) -> None:
    import io

    from rich.console import Console

    from luckyctl.gate import evaluate_gate
    from luckyctl.report.gate_table import render_gate

    ctx = project.gate_context()
    try:
        result = evaluate_gate(ctx, "P")
    finally:
        ctx.store.close()
    screen = io.StringIO()
    render_gate(Console(file=screen, force_terminal=True, color_system="truecolor", width=160), result)
    text = screen.getvalue()
    assert "\x1b[" in text  # styled
    assert "✗ failed" in text and "FAIL" in text and "✓ succeeded" in text
    assert "KPI score 0% (0/2): fail" in text
