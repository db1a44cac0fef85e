"""``task validate SEL --evidence``: exit codes and reasons, after really running small roadmaps."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from engine_roadmaps import mark, one_story, sh, task
from helpers import LocalHttpServer, http_server  # noqa: F401
from test_gate_support import GateProject, check, http_check, output

WORK = one_story(
    task("OK", steps=[mark("OK")], checks=[check("echo check", "echo fine")]),
    task("MAN", steps=[], manual="Look at the Grafana dashboard\nand compare it with last week"),
    task("AFTER", "MAN"),
    task("BAD", steps=[sh("echo trying; exit 3")]),
    task("NEVER"),
)


@pytest.fixture
def project(tmp_path: Path) -> GateProject:
    return GateProject(tmp_path, WORK)


def tasks_of(result: Any) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in json.loads(result.stdout)["tasks"]}


def test_a_proven_task_passes_with_the_evidence_it_rests_on(project: GateProject) -> None:
    assert project.execute("OK").exit_code == 0
    passed = project.validate("OK")
    assert passed.exit_code == 0, output(passed)
    assert "gate passed: 1 of 1 task proven" in passed.stdout
    as_json = project.validate("OK", "--format", "json")
    entry = tasks_of(as_json)["OK"]
    assert entry["passed"] and entry["reason"] is None
    assert [(ref["phase"], ref["name"], ref["status"]) for ref in entry["evidence"]] == [
        ("step", "run", "passed"),
        ("check", "echo check", "passed"),
    ]


def test_each_unproven_task_fails_the_gate_with_its_reason(project: GateProject) -> None:
    assert project.execute("OK,MAN,AFTER,BAD").exit_code == 1
    failed = project.validate("P", "--format", "json")
    assert failed.exit_code == 1, output(failed)
    reasons = {task_id: entry["reason"] for task_id, entry in tasks_of(failed).items()}
    assert reasons["OK"] is None
    assert reasons["MAN"] == "waiting for sign-off: Look at the Grafana dashboard"
    assert reasons["AFTER"] == "blocked by MAN (waiting)"
    assert reasons["BAD"] == "failed: step 1 (run): exit code 3, expected 0"
    assert reasons["NEVER"] == "not run"
    kinds = {task_id: [item["kind"] for item in entry["findings"]] for task_id, entry in tasks_of(failed).items()}
    assert kinds == {"OK": [], "MAN": ["waiting"], "AFTER": ["blocked"], "BAD": ["failed"], "NEVER": ["not-run"]}
    assert "gate failed: 1 of 5 tasks proven, 4 failing" in failed.stderr


def test_a_task_behind_an_unfinished_one_names_it_even_before_it_ran(tmp_path: Path) -> None:
    project = GateProject(tmp_path, one_story(task("FIRST"), task("SECOND", "FIRST")))
    result = project.validate("SECOND", "--format", "json")
    assert result.exit_code == 1
    assert tasks_of(result)["SECOND"]["reason"] == "not run (waits for FIRST (not run))"
    assert not project.db_path.exists()  # validating never creates the store


def test_a_signed_off_manual_task_passes_on_its_signoff(project: GateProject) -> None:
    project.execute("MAN")
    assert project.run("task", "signoff", "MAN", "--by", "ops-1").exit_code == 0
    signed = project.validate("MAN", "--format", "json")
    assert signed.exit_code == 0, output(signed)
    assert [ref["phase"] for ref in tasks_of(signed)["MAN"]["evidence"]] == ["signoff"]
    after = project.execute("AFTER")
    assert after.exit_code == 0
    assert project.validate("MAN,AFTER").exit_code == 0


def test_the_table_shows_every_task_and_the_verdict(project: GateProject) -> None:
    project.execute("OK,BAD")
    table = project.validate("OK,BAD")
    assert table.exit_code == 1
    lines = table.stdout.splitlines()
    assert any(line.split()[:3] == ["OK", "succeeded", "pass"] for line in lines)
    assert any(line.split()[:3] == ["BAD", "failed", "FAIL"] for line in lines)
    assert "evidence chain: " in table.stdout and "intact" in table.stdout
    assert lines[-1] == "gate failed: 1 of 2 tasks proven, 1 failing"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["task", "validate", "OK"], "needs --evidence"),
        (["task", "validate", "OKK", "--evidence"], "unknown id 'OKK' (did you mean OK?)"),
        (["task", "validate", "OK", "--evidence", "--format", "xml"], "Invalid value for '--format'"),
        (["task", "validate", "OK", "--evidence", "--max-age", "soon"], "--max-age: expected a duration"),
        (["task", "validate", "OK", "--evidence", "--max-age", "0s"], "--max-age must be longer than 0"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_changes_nothing(
    project: GateProject, arguments: list[str], message: str
) -> None:
    result = project.run(*arguments)
    assert result.exit_code == 2, output(result)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not project.db_path.exists()


def test_output_writes_the_report_and_keeps_the_verdict(project: GateProject, tmp_path: Path) -> None:
    project.execute("OK,BAD")
    target = tmp_path / "gate.json"
    result = project.validate("OK,BAD", "--format", "json", "--output", str(target))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(target.read_text())["counts"] == {"tasks": 2, "failing": 1}
    assert f"json report written to {target}" in result.stderr
    table = tmp_path / "gate.txt"
    assert project.validate("OK", "--output", str(table)).exit_code == 0
    assert "gate passed" in table.read_text()
    unwritable = project.validate("OK", "--output", str(tmp_path / "missing" / "gate.txt"))
    assert unwritable.exit_code == 2 and "cannot write the report" in unwritable.stderr


def test_max_age_fails_evidence_older_than_it(project: GateProject) -> None:
    project.execute("OK")
    assert project.validate("OK", "--max-age", "1h").exit_code == 0
    time.sleep(1.1)
    expired = project.validate("OK", "--max-age", "1s", "--format", "json")
    assert expired.exit_code == 1
    finding = tasks_of(expired)["OK"]["findings"][0]
    check_seq = project.seqs("OK", "check")[0]
    assert finding["kind"] == "expired" and finding["seq"] == check_seq
    assert finding["message"].startswith("evidence expired (1.")
    assert finding["message"].endswith(f"s old, max 1s): record {check_seq}")


def test_recheck_runs_the_checks_again_never_the_steps(tmp_path: Path, http_server: LocalHttpServer) -> None:  # noqa: F811
    project = GateProject(
        tmp_path,
        one_story(task("API", steps=[mark("API")], checks=[http_check("health", "/health")])),
        plan={"vars": {"backend_url": http_server.url}},
    )
    http_server.route("GET", "/health", json={"status": "ok"}, times=1)
    http_server.route("GET", "/health", status=503, json={"status": "down"}, times=1)
    http_server.route("GET", "/health", json={"status": "ok"})
    assert project.execute("API").exit_code == 0
    assert project.validate("API").exit_code == 0

    down = project.validate("API", "--recheck", "--format", "json")
    assert down.exit_code == 1, output(down)
    recheck_seq = project.seqs("API", "recheck")[0]
    finding = tasks_of(down)["API"]["findings"][0]
    assert finding["kind"] == "recheck-failed" and finding["seq"] == recheck_seq
    assert finding["message"].startswith(f"check 'health' failed on recheck (record {recheck_seq}): ")
    assert "503" in finding["message"]
    assert "recheck API: failed" in down.stderr

    time.sleep(1.1)
    assert project.validate("API", "--max-age", "1s").exit_code == 1  # the newest check record is old now
    up = project.validate("API", "--recheck", "--max-age", "1s")
    assert up.exit_code == 0, output(up)
    assert "recheck API: 1 check(s) passed" in up.stderr
    assert project.side_effects() == ["API"]  # the step ran once, at execute
    assert len(http_server.requests_to("/health")) == 3
    assert project.sql("SELECT DISTINCT phase FROM evidence WHERE seq > ? ORDER BY phase", (recheck_seq - 1,)) == [
        ("recheck",)
    ]


def test_recheck_keeps_a_checks_index_when_manual_checks_come_first(tmp_path: Path) -> None:
    project = GateProject(
        tmp_path,
        one_story(
            task(
                "MIXED",
                steps=[],
                checks=[{"manual": {"instruction": "Look at the logs"}}, check("logs clean", "echo clean")],
            )
        ),
    )
    assert project.execute("MIXED").exit_code == 3  # waits for the person
    assert project.run("task", "signoff", "MIXED", "--by", "ops-1").exit_code == 0
    assert project.execute("MIXED").exit_code == 0
    rechecked = project.validate("MIXED", "--recheck")
    assert rechecked.exit_code == 0, output(rechecked)
    assert project.sql("SELECT step_index, name FROM evidence WHERE phase = 'recheck'") == [(1, "logs clean")]


def test_recheck_with_nothing_to_recheck_says_so(project: GateProject) -> None:
    project.execute("BAD")
    result = project.validate("BAD", "--recheck")
    assert result.exit_code == 1
    assert "no selected task is done with checks to run again" in result.stderr
    assert project.seqs("BAD", "recheck") == []


def test_an_approval_task_on_a_protected_plan_needs_its_approval(tmp_path: Path) -> None:
    document = one_story(task("SHIP", approval=True))
    project = GateProject(tmp_path, document, plan={"protected": True})
    assert project.execute("SHIP", "--yes").exit_code == 3  # waits for its approval
    assert project.run("task", "approve", "SHIP", "--by", "lead").exit_code == 0
    ran = project.execute("SHIP", "--yes")
    assert ran.exit_code == 0, output(ran)
    assert project.validate("SHIP").exit_code == 0
    # The same evidence on a plan that is protected but has no approval before the run.
    (tmp_path / "other").mkdir()
    other = GateProject(tmp_path / "other", document, plan={"protected": False})
    assert other.execute("SHIP").exit_code == 0
    (other.root / "plans" / "sandbox.yaml").write_text("name: sandbox\nprotected: true\n")
    missing = other.validate("SHIP", "--format", "json")
    assert missing.exit_code == 1
    assert tasks_of(missing)["SHIP"]["findings"][0]["kind"] == "no-approval"


def test_recheck_redacts_the_plans_secrets(tmp_path: Path) -> None:
    secret = "s3cr3t-gate-token-value"
    project = GateProject(
        tmp_path,
        one_story(task("SECRET", steps=[], checks=[check("token", "echo token=${secret:token}")])),
        plan={"secrets": {"token": {"env": "GATE_TOKEN"}, "other": {"env": "GATE_OTHER_UNSET"}}},
    )
    ran = project.run("task", "execute", "SECRET", env={"GATE_TOKEN": secret})
    assert ran.exit_code == 0, output(ran)
    rechecked = project.validate("SECRET", "--recheck", env={"GATE_TOKEN": secret})
    assert rechecked.exit_code == 0, output(rechecked)
    rows = project.sql("SELECT inputs, outputs, summary, artifacts FROM evidence WHERE phase = 'recheck'")
    assert len(rows) == 1 and secret not in repr(rows)
    stored = [project.artifacts.read(digest) for digest in json.loads(rows[0][3]).values()]
    assert stored and all(secret.encode() not in content for content in stored)


def test_short_durations() -> None:
    from luckyctl.gate import short_duration

    assert [short_duration(seconds) for seconds in (0.04, 1.25, 59, 200, 3600, 5400, 86400 * 8, 86400 * 1.5)] == [
        "0s",
        "1.2s",
        "59s",
        "3m20s",
        "1h",
        "1h30m",
        "8d",
        "1d12h",
    ]


@pytest.mark.parametrize(
    ("state", "reason", "kind", "message"),
    [
        ("running", None, "running", "running: the run has not finished"),
        ("interrupted", "interrupted by SIGTERM", "interrupted", "interrupted: interrupted by SIGTERM"),
        ("waiting", "needs approval (approval: true)", "waiting", "waiting: needs approval (approval: true)"),
        ("blocked", "the risk gate holds", "blocked", "blocked: the risk gate holds"),
    ],
)
def test_every_unfinished_state_has_its_reason(
    project: GateProject, state: str, reason: str | None, kind: str, message: str
) -> None:
    from luckyctl.model import TaskState

    store = project.store()
    try:  # states a run leaves behind when it is cut or held: written as the engine writes them
        store.set_state("NEVER", TaskState(state), reason=reason)
    finally:
        store.close()
    finding = tasks_of(project.validate("NEVER", "--format", "json"))["NEVER"]["findings"][0]
    assert (finding["kind"], finding["message"]) == (kind, message)


def test_a_manual_task_marked_succeeded_without_a_signoff_fails(project: GateProject) -> None:
    from luckyctl.model import TaskState

    store = project.store()
    try:
        store.set_state("MAN", TaskState.SUCCEEDED, run_id="forged", started_at="2026-12-07T10:00:00+00:00")
    finally:
        store.close()
    findings = tasks_of(project.validate("MAN", "--format", "json"))["MAN"]["findings"]
    assert [(item["kind"], item["message"]) for item in findings] == [
        ("no-signoff", "no sign-off recorded: luckyctl task signoff MAN --by NAME")
    ]


def test_a_state_recorded_under_another_spec_is_stale(project: GateProject) -> None:
    project.execute("OK")
    project.sql("UPDATE task_state SET spec_hash = 'sha256:0000' WHERE task_id = 'OK'")
    findings = tasks_of(project.validate("OK", "--format", "json"))["OK"]["findings"]
    assert [(item["kind"], item["message"]) for item in findings] == [
        ("stale", "stale: spec changed since the task succeeded")
    ]


def test_an_approval_under_the_enterprise_strategy_is_required_and_counted(tmp_path: Path) -> None:
    project = GateProject(tmp_path, one_story(task("RELEASE", approval=True)))
    assert project.execute("RELEASE", "--strategy", "enterprise").exit_code == 3
    assert project.run("task", "approve", "RELEASE", "--by", "lead").exit_code == 0
    assert project.execute("RELEASE", "--strategy", "enterprise").exit_code == 0
    passed = project.validate("RELEASE", "--format", "json")
    assert passed.exit_code == 0, output(passed)
    assert [ref["phase"] for ref in tasks_of(passed)["RELEASE"]["evidence"]] == ["approval", "step"]
    project.sql("DELETE FROM evidence WHERE phase = 'approval'")
    kinds = [item["kind"] for item in tasks_of(project.validate("RELEASE", "--format", "json"))["RELEASE"]["findings"]]
    assert "no-approval" in kinds


def test_many_ids_are_read_in_one_scan_with_the_same_result(project: GateProject) -> None:
    from luckyctl.evidence import verify_chain
    from luckyctl.gate.evidence_index import MAX_IDS_PER_QUERY, EvidenceIndex

    project.execute("OK,BAD")
    store = project.store()
    try:
        chain = verify_chain(store, project.artifacts)
        few = EvidenceIndex.read(store, ["OK"], chain)
        many = EvidenceIndex.read(store, ["OK", *(f"X{number}" for number in range(MAX_IDS_PER_QUERY))], chain)
    finally:
        store.close()
    assert list(few.by_task) == list(many.by_task) == ["OK"]
    assert [record.seq for record in many.records("OK")] == [record.seq for record in few.records("OK")]
    assert [record.phase.value for record in few.records("OK")] == ["step", "check"]
