"""Evidence changed behind luckyctl's back fails the gate, naming the task and the record."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from engine_roadmaps import one_story, task
from test_gate_support import GateProject, check, output

from luckyctl.gate import evaluate_gate

ROADMAP = one_story(
    task(
        "A",
        steps=[{"name": "build", "run": {"argv": ["sh", "-c", "echo built"]}}],
        checks=[check("a check", "echo a-ok")],
    ),
    task("B", steps=[], checks=[check("b check", "echo b-ok")]),
)


@pytest.fixture
def project(tmp_path: Path) -> GateProject:
    project = GateProject(tmp_path, ROADMAP)
    ran = project.execute("P")
    assert ran.exit_code == 0, output(ran)
    # Systematic order: A's step and check, then B's check.
    assert project.sql("SELECT seq, task_id, phase FROM evidence ORDER BY seq") == [
        (1, "A", "step"),
        (2, "A", "check"),
        (3, "B", "check"),
    ]
    assert project.validate("P").exit_code == 0
    return project


def findings(result: Any) -> dict[str, list[dict[str, Any]]]:
    """Subject → findings, from the tasks and the gate-wide list of a JSON report."""
    document = json.loads(result.stdout)
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in document["tasks"]:
        for finding in entry["findings"]:
            found.setdefault(entry["id"], []).append(finding)
    for finding in document["findings"]:
        found.setdefault(finding["subject"], []).append(finding)
    return found


def validate_json(project: GateProject, selector: str = "P", *extra: str) -> dict[str, list[dict[str, Any]]]:
    result = project.validate(selector, "--format", "json", *extra)
    assert result.exit_code == 1, output(result)
    return findings(result)


def artifact_of(project: GateProject, seq: int, name: str = "stdout") -> tuple[str, Path]:
    digest = json.loads(project.sql("SELECT artifacts FROM evidence WHERE seq = ?", (seq,))[0][0])[name]
    return digest, project.artifacts.path(digest)


def test_an_altered_artifact_names_its_hash_and_record(project: GateProject) -> None:
    digest, path = artifact_of(project, 2)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    path.write_bytes(b"a-ok, honestly\n")
    found = validate_json(project, "A")
    assert found == {
        "A": [
            {
                "kind": "artifact-altered",
                "subject": "A",
                "seq": 2,
                "message": f"artifact {digest[:12]}… altered ('stdout' of evidence record 2)",
            }
        ]
    }


def test_a_missing_artifact_names_its_hash_and_record(project: GateProject) -> None:
    digest, path = artifact_of(project, 1)
    path.unlink()
    found = validate_json(project, "A")
    assert [(item["kind"], item["seq"], item["message"]) for item in found["A"]] == [
        ("artifact-missing", 1, f"artifact {digest[:12]}… missing ('stdout' of evidence record 1)")
    ]


def test_an_edited_evidence_row_names_the_record(project: GateProject) -> None:
    project.sql("UPDATE evidence SET summary = 'all good, trust me' WHERE seq = 2")
    found = validate_json(project, "A")
    assert [(item["kind"], item["seq"]) for item in found["A"]] == [("record-edited", 2)]
    assert found["A"][0]["message"] == "evidence record 2 edited: its content no longer matches its hash"


def test_a_failed_check_rewritten_as_passed_is_caught(tmp_path: Path) -> None:
    project = GateProject(tmp_path, one_story(task("C", steps=[], checks=[check("c check", "exit 1")])))
    assert project.execute("C").exit_code == 1
    project.sql("UPDATE evidence SET status = 'passed' WHERE task_id = 'C'")
    project.sql("UPDATE task_state SET state = 'succeeded', reason = NULL WHERE task_id = 'C'")
    found = validate_json(project, "C")
    assert ("record-edited", 1) in [(item["kind"], item["seq"]) for item in found["C"]]


def test_an_unreadable_row_fails_instead_of_crashing(project: GateProject) -> None:
    project.sql("UPDATE evidence SET metrics = 'not json' WHERE seq = 2")
    found = validate_json(project, "A")
    assert [(item["kind"], item["seq"]) for item in found["A"]] == [("record-malformed", 2), ("missing-evidence", None)]
    assert found["A"][1]["message"] == "check 'a check' has no passing evidence"


def test_a_deleted_row_breaks_the_chain_at_the_next_record(project: GateProject) -> None:
    project.sql("DELETE FROM evidence WHERE seq = 2")
    found = validate_json(project, "P")
    assert [item["message"] for item in found["A"]] == ["check 'a check' has no passing evidence"]
    assert [(item["kind"], item["seq"], item["message"]) for item in found["B"]] == [
        ("record-deleted", 3, "evidence chain broken at record 3: seq 2 before it is missing")
    ]


def test_a_deleted_last_row_truncates_the_chain(project: GateProject) -> None:
    project.sql("DELETE FROM evidence WHERE seq = 3")
    found = validate_json(project, "P")
    assert [item["message"] for item in found["B"]] == ["check 'b check' has no passing evidence"]
    assert [(item["kind"], item["seq"]) for item in found["evidence-chain"]] == [("chain-truncated", None)]
    assert "the records after seq 2 are missing" in found["evidence-chain"][0]["message"]


def test_reordered_rows_name_the_records(project: GateProject) -> None:
    project.sql("UPDATE evidence SET seq = 100 WHERE seq = 1")
    project.sql("UPDATE evidence SET seq = 1 WHERE seq = 2")
    project.sql("UPDATE evidence SET seq = 2 WHERE seq = 100")
    found = validate_json(project, "A")
    assert {(item["kind"], item["seq"]) for item in found["A"]} >= {("record-reordered", 1), ("record-reordered", 2)}
    assert all(item["message"].startswith(f"evidence record {item['seq']} reordered: ") for item in found["A"])


def test_a_problem_outside_the_selection_still_fails_the_gate(project: GateProject) -> None:
    project.sql("UPDATE evidence SET summary = 'edited' WHERE seq = 3")
    result = project.validate("A", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["tasks"][0]["passed"] is True
    assert [(item["subject"], item["kind"], item["seq"]) for item in document["findings"]] == [
        ("B", "record-edited", 3)
    ]


def test_a_changed_task_spec_makes_its_evidence_stale(project: GateProject) -> None:
    changed = one_story(
        task(
            "A",
            steps=[{"name": "build", "run": {"argv": ["sh", "-c", "echo built"]}}],
            checks=[check("a check", "echo A-OK")],
        ),
        task("B", steps=[], checks=[check("b check", "echo b-ok")], title="B, retitled"),
    )
    project.write(changed)
    found = validate_json(project, "P")
    assert [(item["kind"], item["message"]) for item in found["A"]] == [
        ("stale", "stale: spec changed since evidence (records 1, 2)")
    ]
    assert "B" not in found  # a new title is not a new spec


def test_evidence_older_than_max_age_has_expired(project: GateProject) -> None:
    ctx = project.gate_context(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=8))
    try:
        result = evaluate_gate(ctx, "A")
    finally:
        ctx.store.close()
    assert not result.passed
    assert [(finding.kind.value, finding.message, finding.seq) for finding in result.failures] == [
        ("expired", "evidence expired (8d old, max 7d): record 2", 2)
    ]
