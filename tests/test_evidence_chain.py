"""The evidence log: redacted rows, the hash chain, concurrent writers, tamper detection, export."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from luckyctl.errors import InputError
from luckyctl.evidence import (
    GENESIS_HASH,
    ArtifactStore,
    EvidenceLog,
    EvidencePhase,
    EvidenceRecord,
    Problem,
    Redactor,
    current_operator,
    export_evidence,
    iter_records,
    load_records,
    record_at,
    row_hash,
    seq_range,
    verify_chain,
    verify_export,
)
from luckyctl.evidence import records as records_module
from luckyctl.evidence.chain import check_chain
from luckyctl.evidence.records import chain_end
from luckyctl.model import StepKind, StepStatus
from luckyctl.steps.base import StepOutcome
from luckyctl.store import Store

SECRET = "Sup3r-Secret-Passw0rd"
OPERATOR = {"user": "alice", "host": "lab-1"}
T0 = "2026-12-07T09:15:02.000000+00:00"
T1 = "2026-12-07T09:15:03.250000+00:00"


class Plan:
    """A plan's evidence folder: store, artifacts and a log writing to both."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.db = home / "luckyctl.db"
        self.store = Store.open(self.db)
        self.artifacts = ArtifactStore.for_plan(home)
        self.log = EvidenceLog(self.store, self.artifacts, Redactor({"admin_password": SECRET}), OPERATOR)

    def check(self, task_id: str, number: int = 0, **outcome: object) -> EvidenceRecord:
        values: dict[str, object] = {
            "status": StepStatus.PASSED,
            "summary": f"status 200 in 12 ms ({number})",
            "inputs": {"method": "GET", "url": "http://127.0.0.1:8765/health"},
            "outputs": {"status": 200},
            "metrics": {"status_code": 200, "latency_ms": 12.5},
            "artifacts": {"body": f'{{"ok": true, "n": {number}}}'.encode()},
            **outcome,
        }
        return self.log.record(
            run_id="run-1",
            task_id=task_id,
            attempt=1,
            phase=EvidencePhase.CHECK,
            step_index=0,
            kind=StepKind.HTTP,
            name="health",
            outcome=StepOutcome(**values),  # type: ignore[arg-type]
            started_at=T0,
            ended_at=T1,
            spec_hash="spec-1",
        )

    def raw(self, sql: str, params: tuple[object, ...] = ()) -> None:
        """Change the database behind luckyctl's back, as an intruder would."""
        with sqlite3.connect(self.db) as conn:
            conn.execute(sql, params)

    def problems(self) -> list[tuple[int | None, str | None, Problem]]:
        return [
            (problem.seq, problem.task_id, problem.problem)
            for problem in verify_chain(self.store, self.artifacts).problems
        ]


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return Plan(tmp_path / "sandbox")


def all_bytes_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


# ---------------------------------------------------------------- recording


def test_a_record_is_redacted_before_anything_is_written(plan: Plan) -> None:
    record = plan.log.record(
        run_id="run-1",
        task_id="FE-INT.1.1",
        attempt=2,
        phase="step",
        step_index=3,
        kind="run",
        name=f"login as admin/{SECRET}",
        outcome=StepOutcome(
            StepStatus.FAILED,
            f"exit 1: bad password {SECRET}",
            inputs={"argv": ["login", "--password", SECRET], "env": {"DB_PASSWORD": "other-value"}},
            outputs={"stderr_tail": f"Authorization: Basic {base64.b64encode(f'admin:{SECRET}'.encode()).decode()}"},
            metrics={"exit_code": 1, "duration_ms": 40.0},
            artifacts={"stdout": f"token={SECRET}\n".encode(), f"{SECRET}.log": b"plain"},
        ),
        started_at=dt.datetime(2026, 12, 7, 9, 15, 2, tzinfo=dt.UTC),
        ended_at=dt.datetime(2026, 12, 7, 9, 15, 3),  # naive: taken as UTC
        spec_hash="spec-1",
    )
    assert record.seq == 1 and record.prev_hash == GENESIS_HASH
    assert record.status is StepStatus.FAILED and record.phase is EvidencePhase.STEP and record.kind is StepKind.RUN
    assert record.name == "login as admin/[REDACTED:secret:admin_password]"
    assert record.summary == "exit 1: bad password [REDACTED:secret:admin_password]"
    assert record.inputs == {
        "argv": ["login", "--password", "[REDACTED:secret:admin_password]"],
        "env": {"DB_PASSWORD": "[REDACTED:password]"},
    }
    assert record.outputs == {"stderr_tail": "Authorization: Basic [REDACTED:authorization]"}
    assert (
        record.started_at == "2026-12-07T09:15:02.000000+00:00"
        and record.ended_at == "2026-12-07T09:15:03.000000+00:00"
    )
    assert sorted(record.artifacts) == ["[REDACTED:secret:admin_password].log", "stdout"]
    assert plan.artifacts.read(record.artifacts["stdout"]) == b"token=[REDACTED:secret:admin_password]\n"
    assert record.operator == OPERATOR
    plan.store.close()
    everything = all_bytes_under(plan.home)  # database, its journal and every artifact file
    for form in (SECRET, base64.b64encode(SECRET.encode()).decode()[:20], "other-value"):
        assert form.encode() not in everything


def test_rows_chain_and_read_back_as_recorded(plan: Plan) -> None:
    written = [plan.check(f"T{number % 3}", number) for number in range(5)]
    assert [record.seq for record in written] == [1, 2, 3, 4, 5]
    assert all(record.passed for record in written)
    assert written[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(written))
    assert all(row_hash(record.to_json()) == record.hash for record in written)
    assert load_records(plan.store) == written
    assert list(iter_records(plan.store, task_ids=["T1"])) == [written[1], written[4]]
    assert list(iter_records(plan.store, task_ids=[])) == []
    assert record_at(plan.store, 3) == written[2] and record_at(plan.store, 99) is None
    assert seq_range(plan.store) == (1, 5)
    assert chain_end(plan.store) == (written[-1].hash, 5)
    report = verify_chain(plan.store, plan.artifacts)
    assert report.ok and report.records == 5 and report.artifacts == 5 and report.head == written[-1].hash
    assert report.to_json() == {"ok": True, "records": 5, "artifacts": 5, "head": written[-1].hash, "problems": []}


def test_reading_pages_through_the_rows(plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    written = [plan.check("T", number) for number in range(23)]
    monkeypatch.setattr(records_module, "PAGE_SIZE", 5)
    assert load_records(plan.store) == written
    plan.raw("UPDATE evidence SET summary = 'forged' WHERE seq = 10")  # the last row of page 2
    assert plan.problems() == [(10, "T", Problem.EDITED)]


def test_signoff_and_approval_are_manual_rows_of_the_same_chain(plan: Plan, tmp_path: Path) -> None:
    step = plan.check("GO-LIVE.3.4")
    report_file, notes_file, same_name = tmp_path / "uat.txt", tmp_path / "notes.txt", tmp_path / "other" / "uat.txt"
    report_file.write_text("UAT passed")
    notes_file.write_text(f"admin password was {SECRET}")
    same_name.parent.mkdir()
    same_name.write_text("second file, same name")
    signoff = plan.log.record_signoff(
        "GO-LIVE.3.4", "pm-1", "UAT done", [report_file, notes_file, same_name], spec_hash="spec-1"
    )
    approval = plan.log.record_approval("GO-LIVE.3.4", "lead-1", run_id="run-2")
    assert (signoff.seq, signoff.prev_hash, approval.prev_hash) == (2, step.hash, signoff.hash)
    assert (signoff.phase, signoff.kind, signoff.status) == (EvidencePhase.SIGNOFF, StepKind.MANUAL, StepStatus.PASSED)
    assert signoff.summary == "signed off by pm-1: UAT done" and signoff.inputs == {"by": "pm-1"}
    assert sorted(signoff.artifacts) == ["notes.txt", "uat-2.txt", "uat.txt"]
    assert plan.artifacts.read(signoff.artifacts["notes.txt"]) == b"admin password was [REDACTED:secret:admin_password]"
    listed = {entry["name"]: entry for entry in signoff.outputs["attachments"]}
    assert listed["notes.txt"]["redacted"] is True and listed["uat.txt"]["redacted"] is False
    assert listed["uat.txt"]["sha256"] == signoff.artifacts["uat.txt"] and listed["uat.txt"]["size"] == 10
    assert (approval.phase, approval.summary, approval.run_id) == (
        EvidencePhase.APPROVAL,
        "approved by lead-1",
        "run-2",
    )
    assert verify_chain(plan.store, plan.artifacts).ok


def test_a_missing_attachment_records_nothing(plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.pdf: cannot read the attachment: No such file"):
        plan.log.record_signoff("T", "pm-1", attachments=[tmp_path / "missing.pdf"])
    assert load_records(plan.store) == []


# ---------------------------------------------------------------- concurrent writers


def test_threads_appending_at_once_keep_one_linear_chain(plan: Plan) -> None:
    def write(worker: int) -> None:
        for number in range(25):
            plan.check(f"W{worker}", number)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = load_records(plan.store)
    assert [record.seq for record in records] == list(range(1, 201))
    assert sorted({record.task_id for record in records}) == [f"W{worker}" for worker in range(8)]
    assert verify_chain(plan.store, plan.artifacts).ok


def test_verifying_while_a_run_appends_sees_a_consistent_chain(plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records_module, "PAGE_SIZE", 3)  # many pages: many chances to see a row appear
    plan.check("T", 0)
    writer = threading.Thread(target=lambda: [plan.check("T", number) for number in range(1, 150)])
    writer.start()
    reports = []
    while writer.is_alive():
        reports.append(verify_chain(plan.store, plan.artifacts))
    writer.join()
    reports.append(verify_chain(plan.store, plan.artifacts))
    assert [problem for report in reports for problem in report.problems] == []
    assert reports[-1].records == 150


WRITER = """
import sys
from pathlib import Path
from luckyctl.evidence import ArtifactStore, EvidenceLog, Redactor
from luckyctl.model import StepStatus
from luckyctl.steps.base import StepOutcome
from luckyctl.store import Store

home, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = Store.open(home / "luckyctl.db")
log = EvidenceLog(store, ArtifactStore.for_plan(home), Redactor(), {"user": name, "host": "h"})
for number in range(count):
    log.record(run_id=name, task_id=name, attempt=1, phase="check", step_index=number, kind="run", name=None,
               outcome=StepOutcome(StepStatus.PASSED, "ok", artifacts={"out": f"{name} {number}".encode()}),
               started_at="2026-01-01T00:00:00+00:00", ended_at="2026-01-01T00:00:01+00:00", spec_hash=None)
"""


def test_two_processes_appending_at_once_keep_one_linear_chain(plan: Plan) -> None:
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(plan.home), name, "60"], stderr=subprocess.PIPE)
        for name in ("writer-a", "writer-b")
    ]
    for writer in writers:
        _, stderr = writer.communicate(timeout=120)
        assert writer.returncode == 0, stderr.decode()
    records = load_records(plan.store)
    assert [record.seq for record in records] == list(range(1, 121))
    for name in ("writer-a", "writer-b"):  # each process's own rows stay in the order it wrote them
        assert [record.step_index for record in records if record.task_id == name] == list(range(60))
    report = verify_chain(plan.store, plan.artifacts)
    assert report.ok and report.records == 120 and report.artifacts == 120


# ---------------------------------------------------------------- tampering


def test_an_edited_row_is_named(plan: Plan) -> None:
    for number in range(4):
        plan.check(f"T{number}", number)
    plan.raw("UPDATE evidence SET outputs = ? WHERE seq = 3", (json.dumps({"status": 500}),))
    assert plan.problems() == [(3, "T2", Problem.EDITED)]


def test_an_edited_and_rehashed_row_breaks_the_next_link(plan: Plan) -> None:
    for number in range(4):
        plan.check(f"T{number}", number)
    forged = {**load_records(plan.store)[1].to_json(), "outputs": {"status": 500}}
    plan.raw("UPDATE evidence SET outputs = ?, hash = ? WHERE seq = 2", (json.dumps({"status": 500}), row_hash(forged)))
    report = verify_chain(plan.store, plan.artifacts)
    assert [str(problem) for problem in report.problems] == [
        "seq 3 (T2): deleted: it does not follow seq 2: a record between them was deleted, or seq 2 was rewritten"
    ]


def test_a_deleted_row_is_named(plan: Plan) -> None:
    for number in range(4):
        plan.check(f"T{number}", number)
    plan.raw("DELETE FROM evidence WHERE seq = 2")
    (problem,) = verify_chain(plan.store, plan.artifacts).problems
    assert str(problem) == "seq 3 (T2): deleted: seq 2 before it is missing"


def test_deleted_first_and_last_rows_are_found(plan: Plan) -> None:
    written = [plan.check(f"T{number}", number) for number in range(4)]
    plan.raw("DELETE FROM evidence WHERE seq IN (1, 4)")
    assert [str(problem) for problem in verify_chain(plan.store, plan.artifacts).problems] == [
        f"seq 2 (T1): deleted: the records before it are missing (it follows {written[0].hash[:12]}…)",
        f"chain: truncated: the records after seq 3 are missing (the chain's head was {written[3].hash[:12]}…)",
    ]
    plan.raw("DELETE FROM evidence")
    assert [problem.problem for problem in verify_chain(plan.store, plan.artifacts).problems] == [Problem.TRUNCATED]


def test_swapped_rows_are_reported_as_out_of_order(plan: Plan) -> None:
    for number in range(4):
        plan.check(f"T{number}", number)
    plan.raw("UPDATE evidence SET seq = -2 WHERE seq = 2")
    plan.raw("UPDATE evidence SET seq = 2 WHERE seq = 3")
    plan.raw("UPDATE evidence SET seq = 3 WHERE seq = -2")
    assert [str(problem) for problem in verify_chain(plan.store, plan.artifacts).problems] == [
        "seq 2 (T2): reordered: out of order: it was recorded after seq 3, which now comes after it",
        "seq 3 (T1): reordered: out of order: it was recorded right after seq 1, not seq 2",
        "seq 4 (T3): reordered: out of order: it was recorded right after seq 2, not seq 3",
    ]


def test_a_row_moved_to_the_front_is_reported(plan: Plan) -> None:
    for number in range(3):
        plan.check(f"T{number}", number)
    plan.raw("UPDATE evidence SET seq = 0 WHERE seq = 1")
    plan.raw("UPDATE evidence SET seq = 1 WHERE seq = 2")
    plan.raw("UPDATE evidence SET seq = 2 WHERE seq = 0")
    assert [problem.problem for problem in verify_chain(plan.store, plan.artifacts).problems] == [
        Problem.REORDERED,
        Problem.REORDERED,
        Problem.REORDERED,
    ]
    assert "recorded as the first record, but comes after seq 1" in str(
        verify_chain(plan.store, plan.artifacts).problems[1]
    )


def test_changed_and_missing_artifacts_are_named(plan: Plan) -> None:
    first, second = plan.check("T1", 1), plan.check("T2", 2)
    changed = plan.artifacts.path(first.artifacts["body"])
    changed.chmod(0o644)
    changed.write_bytes(b'{"ok": false}')
    plan.artifacts.path(second.artifacts["body"]).unlink()
    assert [str(problem) for problem in verify_chain(plan.store, plan.artifacts).problems] == [
        (
            f"seq 1 (T1): artifact-corrupt: artifact 'body' ({first.artifacts['body'][:12]}…) does not match its hash: "
            "the file was changed"
        ),
        f"seq 2 (T2): artifact-missing: artifact 'body' ({second.artifacts['body'][:12]}…) is missing",
    ]


def test_unreadable_rows_are_reported_not_crashed_on(plan: Plan, tmp_path: Path) -> None:
    for number in range(3):
        plan.check(f"T{number}", number)
    plan.raw("UPDATE evidence SET metrics = '{not json' WHERE seq = 1")
    plan.raw("UPDATE evidence SET artifacts = ? WHERE seq = 2", (json.dumps({"body": "../../../etc/passwd"}),))
    plan.raw("UPDATE evidence SET artifacts = '[1, 2]' WHERE seq = 3")
    assert plan.problems() == [
        (1, "T0", Problem.MALFORMED),
        (2, "T1", Problem.EDITED),
        (2, "T1", Problem.MALFORMED),
        (3, "T2", Problem.EDITED),
        (3, "T2", Problem.MALFORMED),
    ]
    with pytest.raises(Exception, match="seq 1: 'metrics' is not valid JSON"):
        load_records(plan.store)
    plan.raw("UPDATE evidence SET metrics = '{}', phase = 'bogus' WHERE seq = 1")
    with pytest.raises(Exception, match="evidence record seq 1 is malformed"):
        record_at(plan.store, 1)


def test_a_row_added_behind_luckyctls_back_is_found(plan: Plan) -> None:
    first = plan.check("T1", 1)
    forged = {**first.to_json(), "seq": 2, "task_id": "T9", "prev_hash": first.hash}
    forged["hash"] = row_hash(forged)
    forged["operator"] = json.dumps(forged["operator"])
    for column in ("inputs", "outputs", "metrics", "artifacts"):
        forged[column] = json.dumps(forged[column])
    plan.raw(
        f"INSERT INTO evidence ({', '.join(forged)}) VALUES ({', '.join('?' for _ in forged)})", tuple(forged.values())
    )
    assert [str(problem) for problem in verify_chain(plan.store, plan.artifacts).problems] == [
        "chain: truncated: the records after seq 1 were added outside luckyctl"
    ]


def test_the_operator_is_who_runs_the_process(plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass
    import os
    import socket

    assert EvidenceLog(plan.store, plan.artifacts, Redactor()).operator == {
        "user": getpass.getuser(),
        "host": socket.gethostname(),
    }

    def no_login_name() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_login_name)
    assert current_operator()["user"] == f"uid:{os.getuid()}"


# ---------------------------------------------------------------- export


def test_an_export_verifies_offline_and_shows_tampering(plan: Plan, tmp_path: Path) -> None:
    written = [plan.check(f"T{number}", number) for number in range(3)]
    target = tmp_path / "audit"
    summary = export_evidence(plan.store, plan.artifacts, target, plan="sandbox")
    assert (summary.records, summary.artifacts, summary.head, summary.missing_artifacts) == (3, 3, written[-1].hash, [])
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["head"] == manifest["recorded_head"] == written[-1].hash
    assert (manifest["plan"], manifest["records"], manifest["first_seq"], manifest["last_seq"]) == ("sandbox", 3, 1, 3)
    lines = (target / "evidence.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [record.to_json() for record in written]
    assert verify_export(target).ok

    lines[1] = lines[1].replace('"status":200', '"status":500')
    (target / "evidence.jsonl").write_text("\n".join(lines[:2]) + "\n")  # edited and cut short
    assert [(problem.seq, problem.problem) for problem in verify_export(target).problems] == [
        (2, Problem.EDITED),
        (None, Problem.TRUNCATED),
    ]
    (target / "evidence.jsonl").write_text(lines[0] + "\nnot json\n[1]\n")
    assert [(problem.seq, problem.problem) for problem in verify_export(target).problems][:2] == [
        (None, Problem.MALFORMED),
        (None, Problem.DELETED),
    ]


def test_an_unreadable_row_is_exported_as_found(plan: Plan, tmp_path: Path) -> None:
    plan.check("T1", 1)
    plan.raw("UPDATE evidence SET outputs = '{cut' WHERE seq = 1")
    export_evidence(plan.store, plan.artifacts, tmp_path / "audit")
    (line,) = (tmp_path / "audit" / "evidence.jsonl").read_text().splitlines()
    assert json.loads(line)["outputs"] == "{cut"
    assert [problem.problem for problem in verify_export(tmp_path / "audit").problems] == [Problem.EDITED]


def test_export_refuses_a_non_empty_directory_and_notes_missing_artifacts(plan: Plan, tmp_path: Path) -> None:
    record = plan.check("T", 1)
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        export_evidence(plan.store, plan.artifacts, occupied)
    with pytest.raises(InputError, match="not a directory"):
        export_evidence(plan.store, plan.artifacts, occupied / "keep.txt")
    plan.artifacts.path(record.artifacts["body"]).unlink()
    summary = export_evidence(plan.store, plan.artifacts, tmp_path / "fresh")
    assert summary.missing_artifacts == [record.artifacts["body"]] and summary.artifacts == 0
    assert [problem.problem for problem in verify_export(tmp_path / "fresh").problems] == [Problem.ARTIFACT_MISSING]


def test_verify_export_refuses_what_is_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not an evidence export"):
        verify_export(tmp_path)
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(InputError, match="expected format"):
        verify_export(tmp_path)
    (tmp_path / "manifest.json").write_text("{oops")
    with pytest.raises(InputError, match="not an evidence export"):
        verify_export(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "luckyctl-evidence-export"}))
    with pytest.raises(InputError, match="no rows file"):
        verify_export(tmp_path)


def test_check_chain_of_nothing_is_intact(tmp_path: Path) -> None:
    report = check_chain([], ArtifactStore(tmp_path), locate=lambda digest: None, expected_head=None)
    assert report.ok and report.records == 0 and report.head is None
