"""The example GitHub Actions workflow: valid YAML, the gate as documented, deploy only after the gate."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from junitparser import JUnitXml
from typer.testing import CliRunner

from luckyctl.cli.app import app

WORKFLOW = Path(__file__).parent.parent / "examples" / "github-actions" / "deploy-gate.yml"


def load() -> dict[str, Any]:
    document = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(document, dict)
    return document


def commands(job: dict[str, Any]) -> list[list[str]]:
    return [shlex.split(step["run"]) for step in job["steps"] if "run" in step]


def test_the_workflow_parses_and_deploy_needs_the_gate() -> None:
    document = load()
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    jobs = document["jobs"]
    assert set(jobs) == {"gate", "deploy"}
    needs = jobs["deploy"]["needs"]
    assert needs == "gate" or "gate" in needs
    assert all("runs-on" in job and job["steps"] for job in jobs.values())


def test_the_gate_job_executes_validates_to_junit_and_publishes_it() -> None:
    gate = load()["jobs"]["gate"]
    runs = commands(gate)
    assert any(argv[:3] == ["python", "-m", "pip"] and "install" in argv for argv in runs)
    execute = next(argv for argv in runs if argv[:5] == ["luckyctl", "--plan", "staging", "task", "execute"])
    assert execute[5] == "GCP-SETUP"
    validate = [
        "luckyctl",
        "--plan",
        "staging",
        "task",
        "validate",
        "GCP-SETUP",
        "--evidence",
        "--format",
        "junit",
        "--output",
        "gate.xml",
    ]
    assert validate in runs
    publish = next(
        step for step in gate["steps"] if str(step.get("uses", "")).startswith("mikepenz/action-junit-report@")
    )
    assert publish["with"]["report_paths"] == "gate.xml"
    assert publish["if"] == "${{ !cancelled() }}"  # the report is published when the gate fails too


def test_the_gate_step_runs_on_the_lucky_gas_roadmap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workflow's own validate line, on this repository's roadmap and staging plan, before anything ran."""
    validate = next(argv for argv in commands(load()["jobs"]["gate"]) if "validate" in argv)
    monkeypatch.chdir(tmp_path)
    roadmap_dir = Path(__file__).parent.parent / "roadmap"
    result = CliRunner().invoke(
        app, ["--roadmap", str(roadmap_dir), "--home", str(tmp_path / "evidence"), *validate[1:]]
    )
    assert result.exit_code == 1, result.output  # nothing has run: every task is "not run"
    xml = JUnitXml.fromfile(str(tmp_path / "gate.xml"))
    suites = {suite.name: suite for suite in xml}
    assert list(suites) == ["GCP-SETUP", "gate"]
    assert suites["GCP-SETUP"].tests == suites["GCP-SETUP"].failures == 15
    assert all(case.result[0].message.startswith("not run") for case in suites["GCP-SETUP"])
    assert not (tmp_path / "evidence").exists()
