"""Crash safety with real processes: kill -9 at several points, two runs at once, Ctrl-C."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from engine_roadmaps import Project, one_story, sh, task

from luckyctl.model import TaskState

CHAIN = [f"C{index}" for index in range(1, 9)]


def _chain(pause: float) -> dict[str, object]:
    """C1 → C2 → … → C8; each marks its run at the start, then pauses."""
    tasks = [
        task(task_id, *([CHAIN[index - 1]] if index else []), steps=[sh(f"echo {task_id} >> side_effects; sleep {pause}")])
        for index, task_id in enumerate(CHAIN)
    ]
    return one_story(*tasks)


def _committed(db: Path) -> tuple[list[tuple[int, str]], dict[str, str]]:
    """Evidence rows (seq, hash) and task states, read by another connection while the run goes on."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        evidence = conn.execute("SELECT seq, hash FROM evidence ORDER BY seq").fetchall()
        states = dict(conn.execute("SELECT task_id, state FROM task_state").fetchall())
    return evidence, states


@pytest.mark.parametrize("kill_after", [1, 4, 7])
def test_kill_9_loses_no_evidence_and_the_next_run_resumes(tmp_path: Path, kill_after: int) -> None:
    project = Project(tmp_path, _chain(pause=0.15))
    run = project.popen("task", "execute", "P")
    project.wait_for(lambda: len(project.side_effects()) >= kill_after)
    evidence_before, _ = _committed(project.db_path)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    assert run.returncode == -signal.SIGKILL

    with sqlite3.connect(project.db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    evidence_after, states_after = _committed(project.db_path)
    assert evidence_after[: len(evidence_before)] == evidence_before  # every committed row is still there
    assert len(evidence_after) >= len(evidence_before) >= kill_after - 1
    succeeded = {task_id for task_id, state in states_after.items() if state == "succeeded"}
    cut = [task_id for task_id, state in states_after.items() if state == "running"]  # its holder is dead now
    assert len(succeeded) >= kill_after - 1 and len(cut) <= 1

    resumed = project.cli("task", "execute", "P", "--json")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert set(project.states().values()) == {"succeeded"}
    counts = Counter(project.side_effects())
    assert set(counts) == set(CHAIN)
    for task_id in succeeded:
        assert counts[task_id] == 1, f"{task_id} had succeeded before the crash and ran again"
    for task_id in cut:  # found interrupted, and run again
        assert f'"task_id": "{task_id}", "title": "task {task_id}", "attempt": 2, "reason": "was interrupted' in resumed.stdout


def test_two_runs_on_the_same_selection_run_every_task_exactly_once(tmp_path: Path) -> None:
    tasks = [task(f"T{index}", *([f"T{index - 3}"] if index > 3 else []), steps=[sh(f"echo T{index} >> side_effects; sleep 0.1")]) for index in range(1, 13)]
    project = Project(tmp_path, one_story(*tasks))
    assert project.cli("task", "plan", "P").returncode == 0
    first = project.popen("task", "execute", "P", "--strategy", "agile", "--parallel", "2", "--json")
    second = project.popen("task", "execute", "P", "--strategy", "agile", "--parallel", "2", "--json")
    out_first, err_first = first.communicate(timeout=60)
    out_second, err_second = second.communicate(timeout=60)
    assert first.returncode == 0, err_first
    assert second.returncode == 0, err_second
    assert Counter(project.side_effects()) == Counter(f"T{index}" for index in range(1, 13))
    assert set(project.states().values()) == {"succeeded"}
    # Whichever run did not run a task took the other's result (or found it up to date).
    taken = out_first.count('"task_started"') + out_second.count('"task_started"')
    assert taken == 12


def test_ctrl_c_stops_the_run_with_130_and_the_next_run_resumes(tmp_path: Path) -> None:
    slow = sh("echo SLOW >> side_effects; test -f go || sleep 30")
    project = Project(tmp_path, one_story(task("A"), task("SLOW", "A", steps=[slow]), task("Z", "SLOW")))
    run = project.popen("task", "execute", "P")
    project.wait_for(lambda: "SLOW" in project.side_effects())
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=15)
    assert run.returncode == 130, out + err
    assert "interrupted" in out
    assert project.states() == {"A": "succeeded", "SLOW": "interrupted"}
    with sqlite3.connect(project.db_path) as conn:
        assert conn.execute("SELECT lease_run FROM task_state WHERE task_id = 'SLOW'").fetchone() == (None,)
        assert conn.execute("SELECT status, exit_code FROM runs").fetchone() == ("interrupted", 130)

    (tmp_path / "go").touch()
    resumed = project.cli("task", "execute", "P")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert project.side_effects() == ["A", "SLOW", "SLOW", "Z"]


def test_sigterm_behaves_like_ctrl_c(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("SLOW", steps=[sh("echo SLOW >> side_effects; sleep 30")])))
    run = project.popen("task", "execute", "P", "--json")
    project.wait_for(lambda: "SLOW" in project.side_effects())
    run.send_signal(signal.SIGTERM)
    out, _ = run.communicate(timeout=15)
    assert run.returncode == 130
    assert '"event": "cancelling"' in out
    assert project.states() == {"SLOW": "interrupted"}


def test_a_run_waits_for_a_task_another_live_process_holds(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("B", "A")))
    assert project.cli("task", "plan", "P").returncode == 0
    other = subprocess.Popen(["sleep", "30"])  # stands for another luckyctl holding task A
    store = project.store()
    try:
        lease = store.acquire_lease("A", "other-run", other.pid, socket.gethostname())
        assert lease is not None
        refused = project.cli("task", "reset", "A")
        assert refused.returncode == 2 and "A is running in run other-run" in refused.stderr

        run = project.popen("task", "execute", "P", "--json")
        project.wait_for(lambda: _running_runs(project) == 1)
        assert project.side_effects() == []  # it waits: A is not run twice
        assert store.release_lease(lease, TaskState.SUCCEEDED)
        out, err = run.communicate(timeout=20)
        assert run.returncode == 0, err
        assert '"event": "task_held"' in out and '"reason": "succeeded in run other-run"' in out
        assert project.side_effects() == ["B"]
    finally:
        store.close()
        other.kill()
        other.wait()


def _running_runs(project: Project) -> int:
    with sqlite3.connect(project.db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'running'").fetchone()[0])
