"""``task execute``, ``plan``, ``signoff``, ``approve`` and ``reset`` as subprocesses: failures, people, gates."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from engine_roadmaps import Project, mark, one_story, sh, task
from helpers.http_server import LocalHttpServer

pytest_plugins = ["helpers"]  # the http_server fixture


def test_a_failure_blocks_its_descendants_and_a_rerun_runs_only_what_is_not_done(tmp_path: Path) -> None:
    broken = one_story(
        task("A", steps=[mark("A"), sh("exit 3")]),
        task("B", "A"),
        task("C", "B"),
        task("D"),
        task("E", "D"),
    )
    project = Project(tmp_path, broken)
    done = project.cli("task", "execute", "P", "--strategy", "agile", "--parallel", "2")
    assert done.returncode == 1
    assert project.states() == {"A": "failed", "B": "blocked", "C": "blocked", "D": "succeeded", "E": "succeeded"}
    assert "exit code 3, expected 0" in done.stdout
    assert "depends on A, which failed" in done.stdout

    fixed = one_story(task("A"), task("B", "A"), task("C", "B"), task("D"), task("E", "D"))
    project.write(fixed)
    again = project.cli("task", "execute", "P", "--strategy", "agile")
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(project.side_effects()) == ["A", "A", "B", "C", "D", "E"]  # D and E ran once: up to date
    assert "skipped 2" in again.stdout


def test_systematic_stops_at_the_first_failure(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("B", steps=[sh("exit 1")]), task("C", "B"), task("D")))
    done = project.cli("task", "execute", "P")
    assert done.returncode == 1
    assert project.side_effects() == ["A"]
    assert project.states() == {"A": "succeeded", "B": "failed", "C": "blocked"}  # D was never started
    assert "not started" in done.stdout
    go_on = project.cli("task", "execute", "P", "--continue-on-failure")
    assert go_on.returncode == 1
    assert project.side_effects() == ["A", "D"]


def test_a_manual_task_waits_for_a_signoff_then_the_run_goes_on(tmp_path: Path) -> None:
    project = Project(
        tmp_path,
        one_story(task("M", steps=[], manual="Check the Grafana dashboard shows traffic"), task("N", "M")),
    )
    first = project.cli("task", "execute", "P")
    assert first.returncode == 3, first.stdout + first.stderr
    assert project.states() == {"M": "waiting", "N": "blocked"}
    assert "waiting for sign-off: Check the Grafana dashboard" in first.stdout

    still = project.cli("task", "execute", "P")  # nothing changed: still waiting, nothing re-run
    assert still.returncode == 3

    (tmp_path / "screenshot.png").write_bytes(b"\x89PNG fake")
    signed = project.cli("task", "signoff", "M", "--by", "ops-1", "--note", "traffic visible", "--attach", "screenshot.png")
    assert signed.returncode == 0, signed.stderr
    assert "signed off by ops-1" in signed.stderr
    assert project.states()["M"] == "succeeded"

    last = project.cli("task", "execute", "P")
    assert last.returncode == 0, last.stdout + last.stderr
    assert project.side_effects() == ["N"]


def test_a_task_with_nothing_to_run_needs_a_person(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("EMPTY", steps=[])))
    done = project.cli("task", "execute", "P", "--json")
    assert done.returncode == 3
    finished = [json.loads(line) for line in done.stdout.splitlines() if '"task_finished"' in line]
    assert finished[0]["state"] == "waiting" and finished[0]["reason"] == "no steps or checks: needs sign-off"


def test_signoff_input_errors_exit_2(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("M", steps=[], manual="look")))
    assert project.cli("task", "signoff", "A", "--by", "x").returncode == 2  # nothing manual about A
    unknown = project.cli("task", "signoff", "MM", "--by", "x")
    assert unknown.returncode == 2 and "did you mean M" in unknown.stderr
    missing = project.cli("task", "signoff", "M", "--by", "x", "--attach", "nope.txt")
    assert missing.returncode == 2 and "nope.txt" in missing.stderr


def test_enterprise_waits_for_approval_and_audits_every_decision(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("GATE", "A", approval=True), task("Z", "GATE")))
    first = project.cli("task", "execute", "P", "--strategy", "enterprise")
    assert first.returncode == 3
    assert project.states() == {"A": "succeeded", "GATE": "waiting", "Z": "blocked"}
    assert "task approve GATE --by NAME" in first.stdout

    approved = project.cli("task", "approve", "GATE", "--by", "sec-1")
    assert approved.returncode == 0 and "approved by sec-1" in approved.stderr
    second = project.cli("task", "execute", "P", "--strategy", "enterprise")
    assert second.returncode == 0, second.stdout
    assert project.side_effects() == ["A", "GATE", "Z"]

    with sqlite3.connect(project.db_path) as conn:
        actions = [row[0] for row in conn.execute("SELECT action FROM audit ORDER BY seq")]
    assert actions.count("decide") == 6 and "approve" in actions and actions.count("outcome") == 3


def test_a_protected_plan_without_yes_exits_2_before_anything_runs(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A")), plan={"protected": True})
    refused = project.cli("task", "execute", "P")
    assert refused.returncode == 2
    assert "protected" in refused.stderr and "--yes" in refused.stderr
    assert project.side_effects() == []
    assert not project.db_path.exists()
    allowed = project.cli("task", "execute", "P", "--yes")
    assert allowed.returncode == 0, allowed.stderr
    assert project.side_effects() == ["A"]


def test_plan_explains_run_skip_block_and_wait(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("B", steps=[sh("exit 1")]), task("C", "B"), task("M", steps=[], manual="sign")))
    assert project.cli("task", "execute", "P", "--continue-on-failure").returncode == 1
    planned = project.cli("task", "plan", "P", "--json")
    assert planned.returncode == 0, planned.stderr
    rows = {row["task_id"]: row for row in json.loads(planned.stdout)["tasks"]}
    assert rows["A"]["action"] == "skip" and rows["A"]["reason"].startswith("up to date (evidence")
    assert rows["B"]["action"] == "run" and "was failed" in rows["B"]["reason"]
    assert rows["C"]["action"] == "run"  # B is predicted to succeed now
    assert rows["M"]["action"] == "wait"
    blocked = json.loads(project.cli("task", "plan", "C", "--json").stdout)["tasks"][0]
    assert blocked["action"] == "block" and "depends on B (outside the selection), which failed" in blocked["reason"]
    text = project.cli("task", "plan", "P")
    assert text.returncode == 0 and "up to date" in text.stdout
    assert project.cli("task", "plan", "NOPE").returncode == 2


def test_plan_without_any_run_creates_no_store(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("B", "A")))
    planned = project.cli("task", "plan", "P", "--strategy", "agile")
    assert planned.returncode == 0, planned.stderr
    assert "never ran" in planned.stdout
    assert not project.db_path.exists()


def test_reset_makes_a_task_run_again(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("B")))
    assert project.cli("task", "execute", "P").returncode == 0
    reset = project.cli("task", "reset", "A")
    assert reset.returncode == 0 and "reset 1 task(s): A" in reset.stderr
    assert project.cli("task", "execute", "P").returncode == 0
    assert project.side_effects() == ["A", "B", "A"]
    runs = project.cli("task", "show", "A", "--json")
    assert runs.returncode == 0


def test_an_http_check_against_a_real_server_passes_and_records_evidence(tmp_path: Path, http_server: LocalHttpServer) -> None:
    http_server.route("GET", "/health", json={"status": "ok"})
    check = {"http": {"url": "${backend_url}/health", "expect": {"status": 200, "json": {"status": "ok"}}}}
    project = Project(tmp_path, one_story(task("H", steps=[], checks=[check])), plan={"vars": {"backend_url": http_server.url}})
    done = project.cli("task", "execute", "P")
    assert done.returncode == 0, done.stdout + done.stderr
    assert http_server.requests_to("/health")
    with sqlite3.connect(project.db_path) as conn:
        rows = conn.execute("SELECT phase, kind, status FROM evidence WHERE task_id = 'H'").fetchall()
    assert rows == [("check", "http", "passed")]
