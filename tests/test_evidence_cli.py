"""``luckyctl evidence list / show / verify / export`` through the real CLI."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from luckyctl.cli.app import app
from luckyctl.evidence import ArtifactStore, EvidenceLog, EvidenceRecord, Redactor
from luckyctl.evidence import recorder as recorder_module
from luckyctl.model import StepStatus
from luckyctl.steps.base import StepOutcome
from luckyctl.store import Store

ROADMAP = """
project:
  id: P
  name: Test project
  start: 2026-12-07
  roles: {dev: {title: Developer}}
epics:
  - id: FE-INT
    title: Frontend Integration
    stories:
      - id: FE-INT.1
        title: API client
        tasks:
          - {id: FE-INT.1.1, title: CORS, owner: dev, estimate: 1h}
          - {id: FE-INT.1.2, title: Deploy, owner: dev, estimate: 1h}
  - id: GCP
    title: Google Cloud Setup
    stories:
      - id: GCP.1
        title: Identity
        tasks:
          - {id: GCP.1.1, title: Sign-off, owner: dev, estimate: 1h}
"""


class Project:
    """A roadmap, a plan named ``test`` and its evidence home."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.roadmap = folder / "roadmap.yaml"
        self.roadmap.write_text(textwrap.dedent(ROADMAP))
        self.plan = folder / "test.yaml"
        self.plan.write_text("name: test\n")
        self.home = folder / "evidence"
        self.plan_home = self.home / "test"
        self.artifacts = ArtifactStore.for_plan(self.plan_home)

    def run(self, *args: str | Path) -> Result:
        options = ["--roadmap", str(self.roadmap), "--plan", str(self.plan), "--home", str(self.home)]
        environment = {"XDG_CACHE_HOME": str(self.folder / "cache"), "FORCE_COLOR": None, "TTY_COMPATIBLE": None}
        return CliRunner().invoke(app, [*options, *map(str, args)], env=environment)

    def record_three(self, monkeypatch: pytest.MonkeyPatch) -> list[EvidenceRecord]:
        """An http check, a failed run step and a sign-off, at fixed times."""
        monkeypatch.setattr(recorder_module, "utc_now", lambda: "2026-12-07T10:00:00.000000+00:00")
        store = Store.open(self.plan_home / "luckyctl.db")
        log = EvidenceLog(
            store, self.artifacts, Redactor({"admin_password": "Sup3r-Secret"}), {"user": "alice", "host": "lab"}
        )
        common = {"run_id": "run-1", "attempt": 1, "spec_hash": "spec-1"}
        written = [
            log.record(
                **common,
                task_id="FE-INT.1.1",
                phase="check",
                step_index=0,
                kind="http",
                name="preflight",
                outcome=StepOutcome(
                    StepStatus.PASSED,
                    "status 200 in 12 ms",
                    inputs={"method": "OPTIONS", "url": "http://127.0.0.1:8765/api"},
                    outputs={"status": 200},
                    metrics={"status_code": 200, "latency_ms": 12.5},
                    artifacts={"body": b'{"ok": true}'},
                ),
                started_at="2026-12-07T09:15:02.000000+00:00",
                ended_at="2026-12-07T09:15:02.012000+00:00",
            ),
            log.record(
                **common,
                task_id="FE-INT.1.2",
                phase="step",
                step_index=1,
                kind="run",
                name="deploy",
                outcome=StepOutcome(
                    StepStatus.FAILED,
                    "exit 1, expected 0",
                    inputs={"argv": ["deploy", "--password", "Sup3r-Secret"]},
                    metrics={"exit_code": 1, "duration_ms": 40.0, "retries": 0, "stdout_bytes": 5},
                    artifacts={"stdout": b"nope\n"},
                ),
                started_at="2026-12-07T09:16:00.000000+00:00",
                ended_at="2026-12-07T09:16:00.040000+00:00",
            ),
            log.record_signoff("GCP.1.1", "pm-1", "looks good"),
        ]
        store.close()
        return written


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_list_shows_one_line_per_record(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.record_three(monkeypatch)
    result = project.run("evidence", "list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "seq  time                 task        phase    kind    name       status  metrics",
        "  1  2026-12-07 09:15:02  FE-INT.1.1  check    http    preflight  passed  latency_ms=12.5 status_code=200",
        "  2  2026-12-07 09:16:00  FE-INT.1.2  step     run     deploy     failed  duration_ms=40 exit_code=1 retries=0 …",
        "  3  2026-12-07 10:00:00  GCP.1.1     signoff  manual  signoff    passed",
    ]
    assert result.stderr == "3 records\n"


def test_list_takes_a_selector(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.record_three(monkeypatch)
    result = project.run("evidence", "list", "GCP,FE-INT.1.2")
    assert result.exit_code == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["seq", "2", "3"]
    unknown = project.run("evidence", "list", "FE-IMT")
    assert unknown.exit_code == 2
    assert unknown.stderr == "luckyctl: error: unknown id 'FE-IMT' (did you mean FE-INT?)\n"


def test_list_json_is_every_record_in_full(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    written = project.record_three(monkeypatch)
    result = project.run("evidence", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"count": 3, "records": [record.to_json() for record in written]}


def test_reading_before_anything_ran_creates_nothing(project: Project) -> None:
    listed = project.run("evidence", "list")
    assert (listed.exit_code, listed.stdout, listed.stderr) == (0, "", "no evidence recorded\n")
    verified = project.run("evidence", "verify", "--json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["records"] == 0
    shown = project.run("evidence", "show", "1")
    assert (shown.exit_code, shown.stderr) == (
        2,
        "luckyctl: error: no evidence record with seq 1 (no evidence recorded yet)\n",
    )
    exported = project.run("evidence", "export", project.folder / "out")
    assert exported.exit_code == 2 and "nothing to export" in exported.stderr
    assert not project.home.exists()


def test_show_prints_one_record_in_full(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    record = project.record_three(monkeypatch)[1]
    result = project.run("evidence", "show", "2")
    assert result.exit_code == 0, result.stderr
    stdout_path = project.artifacts.path(record.artifacts["stdout"])
    assert result.stdout.splitlines() == [
        "seq        2",
        "task       FE-INT.1.2",
        "run        run-1",
        "attempt    1",
        "phase      step",
        "step       1 run deploy",
        "status     failed",
        "summary    exit 1, expected 0",
        "started    2026-12-07T09:16:00.000000+00:00",
        "ended      2026-12-07T09:16:00.040000+00:00",
        "operator   alice@lab",
        "spec hash  spec-1",
        f"prev hash  {record.prev_hash}",
        f"hash       {record.hash}",
        "inputs",
        "  {",
        '    "argv": [',
        '      "deploy",',
        '      "--password",',
        '      "[REDACTED:secret:admin_password]"',
        "    ]",
        "  }",
        "outputs    {}",
        "metrics",
        "  {",
        '    "duration_ms": 40.0,',
        '    "exit_code": 1,',
        '    "retries": 0,',
        '    "stdout_bytes": 5',
        "  }",
        "artifacts",
        f"  stdout  ok  5 bytes  {stdout_path}",
    ]


def test_show_json_lists_artifact_files_and_their_state(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    signoff = project.record_three(monkeypatch)[2]
    text = project.run("evidence", "show", "3")
    assert text.stdout.splitlines()[-1] == "artifacts  -"
    body = json.loads(project.run("evidence", "show", "1", "--json").stdout)
    digest = body["artifacts"]["body"]
    project.artifacts.path(digest).unlink()
    shown = json.loads(project.run("evidence", "show", "1", "--json").stdout)
    assert shown["artifact_files"] == [
        {
            "name": "body",
            "sha256": digest,
            "path": str(project.artifacts.path(digest)),
            "size": None,
            "state": "missing",
        }
    ]
    assert json.loads(project.run("evidence", "show", "3", "--json").stdout) == {
        **signoff.to_json(),
        "artifact_files": [],
    }
    missing = project.run("evidence", "show", "7")
    assert (missing.exit_code, missing.stderr) == (
        2,
        "luckyctl: error: no evidence record with seq 7 (the chain has seq 1–3)\n",
    )


def test_verify_passes_on_an_intact_chain(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    written = project.record_three(monkeypatch)
    result = project.run("evidence", "verify")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"evidence intact: 3 records, 2 artifacts, head {written[-1].hash[:12]}…\n"


def test_verify_fails_naming_each_tampered_record(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    written = project.record_three(monkeypatch)
    with sqlite3.connect(project.plan_home / "luckyctl.db") as conn:
        conn.execute("UPDATE evidence SET outputs = '{\"status\": 204}' WHERE seq = 1")
    body = project.artifacts.path(written[1].artifacts["stdout"])
    body.chmod(0o644)
    body.write_bytes(b"yes\n")
    result = project.run("evidence", "verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "seq 1 (FE-INT.1.1): edited: its content does not match its hash",
        (
            f"seq 2 (FE-INT.1.2): artifact-corrupt: artifact 'stdout' ({written[1].artifacts['stdout'][:12]}…) "
            "does not match its hash: the file was changed"
        ),
    ]
    assert result.stderr == "luckyctl: error: evidence verification failed: 2 problems in 3 records\n"
    as_json = project.run("evidence", "verify", "--json")
    assert as_json.exit_code == 1
    assert [(problem["seq"], problem["problem"]) for problem in json.loads(as_json.stdout)["problems"]] == [
        (1, "edited"),
        (2, "artifact-corrupt"),
    ]


def test_verify_catches_a_deleted_and_a_reordered_row(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.record_three(monkeypatch)
    with sqlite3.connect(project.plan_home / "luckyctl.db") as conn:
        conn.execute("DELETE FROM evidence WHERE seq = 2")
    result = project.run("evidence", "verify")
    assert result.exit_code == 1
    assert result.stdout == "seq 3 (GCP.1.1): deleted: seq 2 before it is missing\n"
    with sqlite3.connect(project.plan_home / "luckyctl.db") as conn:
        conn.execute("UPDATE evidence SET started_at = 'yesterday' WHERE seq = 3")
    listed = project.run("evidence", "list", "GCP")
    assert listed.stdout.splitlines()[1] == "  3  yesterday  GCP.1.1  signoff  manual  signoff  passed"


def test_export_writes_a_copy_that_verifies_offline(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    written = project.record_three(monkeypatch)
    target = project.folder / "audit"
    result = project.run("evidence", "export", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"exported 3 records and 2 artifacts to {target} (head {written[-1].hash[:12]}…)\n"
    assert sorted(path.name for path in target.iterdir()) == ["artifacts", "evidence.jsonl", "manifest.json"]
    # The auditor needs neither the roadmap nor the plan to verify it.
    offline = CliRunner().invoke(app, ["--plan", "nowhere", "evidence", "verify", str(target)])
    assert offline.exit_code == 0, offline.stderr
    assert offline.stdout == f"evidence intact: 3 records, 2 artifacts, head {written[-1].hash[:12]}…\n"

    again = project.run("evidence", "export", target)
    assert (again.exit_code, again.stdout) == (2, "")
    assert again.stderr == f"luckyctl: error: {target}: not empty: export into a new or empty directory\n"
    summary = json.loads(project.run("evidence", "export", project.folder / "second", "--json").stdout)
    assert summary == {
        "directory": str(project.folder / "second"),
        "records": 3,
        "artifacts": 2,
        "head": written[-1].hash,
        "missing_artifacts": [],
    }


def test_export_warns_about_missing_artifacts(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    written = project.record_three(monkeypatch)
    project.artifacts.path(written[0].artifacts["body"]).unlink()
    result = project.run("evidence", "export", project.folder / "audit")
    assert result.exit_code == 0
    assert result.stderr == "warning: 1 artifact was missing and is not in the export\n"
    offline = project.run("evidence", "verify", project.folder / "audit")
    assert offline.exit_code == 1
    assert offline.stdout.startswith("seq 1 (FE-INT.1.1): artifact-missing: artifact 'body'")
