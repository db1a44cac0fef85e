"""The file step: existence, content, JSON and coverage reports, on real files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from helpers import step_context
from luckyctl.errors import StepError
from luckyctl.model import FileSpec, StepStatus
from luckyctl.steps.file import check_file

CONFIG = "# production\nAPI_URL=https://api.luckygas.tw\nCORS_ORIGINS=https://app.luckygas.tw\nDEBUG=false\n"


def spec(**fields: Any) -> FileSpec:
    return FileSpec.model_validate(fields)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "deploy").mkdir()
    path = tmp_path / "deploy" / "prod.env"
    path.write_text(CONFIG)
    return path


def test_an_existing_file_passes_with_its_hash_and_size(tmp_path: Path, config: Path) -> None:
    outcome = check_file(spec(path="deploy/prod.env"), step_context(tmp_path))
    assert outcome.status is StepStatus.PASSED
    assert outcome.outputs["sha256"] == hashlib.sha256(CONFIG.encode()).hexdigest()
    assert outcome.outputs["size"] == len(CONFIG)
    assert outcome.summary == f"deploy/prod.env: {len(CONFIG)} bytes, sha256 {outcome.outputs['sha256'][:12]}"
    assert outcome.artifacts == {}


def test_a_missing_file_fails_unless_absence_is_expected(tmp_path: Path) -> None:
    ctx = step_context(tmp_path)
    missing = check_file(spec(path="backup.sql"), ctx)
    assert missing.status is StepStatus.FAILED and missing.summary == "backup.sql: not found"
    absent = check_file(spec(path="backup.sql", expect={"exists": False}), ctx)
    assert absent.status is StepStatus.PASSED and absent.summary == "backup.sql: absent, as expected"


def test_a_file_that_should_be_absent_fails_when_present(tmp_path: Path, config: Path) -> None:
    outcome = check_file(spec(path="deploy/prod.env", expect={"exists": False}), step_context(tmp_path))
    assert outcome.status is StepStatus.FAILED and outcome.summary == "deploy/prod.env: exists, expected absent"


def test_contains_and_matches_record_the_matched_lines(tmp_path: Path, config: Path) -> None:
    outcome = check_file(
        spec(path="deploy/prod.env", expect={"contains": "DEBUG=false", "matches": r"^CORS_ORIGINS=https://"}),
        step_context(tmp_path),
    )
    assert outcome.passed
    assert outcome.outputs["matched_lines"] == ["3: CORS_ORIGINS=https://app.luckygas.tw", "4: DEBUG=false"]


def test_content_failures_are_named(tmp_path: Path, config: Path) -> None:
    outcome = check_file(
        spec(path="deploy/prod.env", expect={"contains": "DEBUG=true", "matches": "^SENTRY_DSN="}),
        step_context(tmp_path),
    )
    assert outcome.status is StepStatus.FAILED
    assert outcome.summary == "deploy/prod.env: does not contain 'DEBUG=true'; does not match /^SENTRY_DSN=/"
    assert outcome.outputs["matched_lines"] == []


def test_matched_lines_are_capped(tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_text("".join(f"ERROR {n}\n" for n in range(100)))
    outcome = check_file(spec(path="log.txt", expect={"contains": "ERROR"}), step_context(tmp_path))
    assert len(outcome.outputs["matched_lines"]) == 20


def test_json_expectations(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps({"name": "lucky-web", "dependencies": {"axios": "^1.6.0"}, "version": "2.1.0"})
    )
    ctx = step_context(tmp_path)
    assert check_file(
        spec(path="package.json", expect={"json": {"dependencies.axios": "exists", "name": "lucky-web"}}), ctx
    ).passed
    failed = check_file(spec(path="package.json", expect={"json": {"version": "~ ^3\\."}}), ctx)
    assert failed.status is StepStatus.FAILED
    assert failed.summary == "package.json: json.version: expected ~ ^3\\., got '2.1.0'"


def test_json_expectations_on_a_file_that_is_not_json(tmp_path: Path, config: Path) -> None:
    outcome = check_file(spec(path="deploy/prod.env", expect={"json": {"a": 1}}), step_context(tmp_path))
    assert outcome.status is StepStatus.FAILED and outcome.summary == "deploy/prod.env: is not valid JSON"


@pytest.mark.parametrize(
    ("name", "content", "coverage"),
    [
        (
            "coverage.xml",
            '<?xml version="1.0" ?>\n<coverage version="7.4" line-rate="0.8342" branch-rate="0"></coverage>',
            83.42,
        ),
        ("coverage.json", json.dumps({"meta": {}, "totals": {"percent_covered": 91.5}}), 91.5),
        ("other.xml", "<report line-rate='0.5'/>", None),
        ("broken.xml", "<coverage", None),
        ("odd.xml", "<coverage line-rate='high'/>", None),
        ("data.json", json.dumps({"totals": {"percent_covered": True}}), None),
        ("notes.txt", "line-rate=0.9", None),
    ],
)
def test_coverage_reports_record_coverage_pct(tmp_path: Path, name: str, content: str, coverage: float | None) -> None:
    (tmp_path / name).write_text(content)
    outcome = check_file(spec(path=name), step_context(tmp_path))
    assert outcome.passed
    assert outcome.metrics.get("coverage_pct") == coverage
    assert ("coverage" in outcome.summary) == (coverage is not None)


def test_a_directory_exists_but_has_no_content_to_check(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    ctx = step_context(tmp_path)
    exists = check_file(spec(path="migrations"), ctx)
    assert exists.passed and exists.outputs["directory"] is True
    content = check_file(spec(path="migrations", expect={"contains": "x"}), ctx)
    assert content.status is StepStatus.ERROR and "is a directory" in content.summary


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_file_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    # /proc/self/mem exists but reading it from offset 0 fails, even for root
    outcome = check_file(spec(path="/proc/self/mem"), step_context(tmp_path))
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary == "/proc/self/mem: cannot read: Input/output error"


def test_a_path_below_a_file_is_not_found(tmp_path: Path, config: Path) -> None:
    outcome = check_file(spec(path="deploy/prod.env/inside"), step_context(tmp_path))
    assert outcome.status is StepStatus.FAILED and outcome.summary == "deploy/prod.env/inside: not found"


@pytest.mark.parametrize(
    ("fields", "problem"), [({"matches": "(x"}, "bad matches"), ({"json": {"a": "< b"}}, "needs a number")]
)
def test_specs_that_cannot_be_understood_raise(
    tmp_path: Path, config: Path, fields: dict[str, Any], problem: str
) -> None:
    with pytest.raises(StepError, match=problem):
        check_file(spec(path="deploy/prod.env", expect=fields), step_context(tmp_path))
