"""Three ``task execute`` processes at once on overlapping selections of one plan: every task runs exactly once.

Each process takes what it can lease; a task another live process holds is
waited for and its result taken over. The processes start together on a
plan that never ran, so they also race to create the store.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from helpers.http_server import LocalHttpServer
from kill_campaign import Committed
from projects import SandboxProject, generated_project, http_effects

AGILE = ("--strategy", "agile", "--parallel", "4", "--with-deps", "--json")


def _started(outputs: list[str]) -> Counter[str]:
    """Task id → ``task_started`` events over every process's JSON lines."""
    started: Counter[str] = Counter()
    for output in outputs:
        for line in output.splitlines():
            event = json.loads(line)
            if event.get("event") == "task_started":
                started[event["task_id"]] += 1
    return started




def test_three_executes_on_overlapping_selections_run_each_task_once(tmp_path: Path) -> None:
    with LocalHttpServer() as server:
        project = generated_project(tmp_path, server)
        layers = [[f"L{layer}T{index}" for index in range(6)] for layer in range(4)]
        selections = ["P", ",".join(layers[0] + layers[1] + layers[2]), ",".join(layers[2] + layers[3])]
        runs = [project.popen("task", "execute", selection, *AGILE) for selection in selections]
        outputs = [run.communicate(timeout=120) for run in runs]
        posts = http_effects(server)
    every = [task_id for layer in layers for task_id in layer]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, out[-2000:] + err[-2000:]
    assert Counter(project.side_effects()) == Counter(every)  # the run step's side effect: once each
    assert posts == Counter(every)  # the http step's side effect: once each
    assert _started([out for out, _ in outputs]) == Counter(every)
    assert Committed.read(project.db_path).task_runs == Counter(every)
    assert project.cli("evidence", "verify").returncode == 0


@pytest.mark.reliability
def test_three_executes_on_overlapping_selections_of_the_lucky_gas_roadmap() -> None:
    project = SandboxProject()
    try:
        project.up()
        selections = ["PROD-DEPLOY-001", "FE-INT,GCP-SETUP,MON-ALERT", "MON-ALERT,CI-CD,GO-LIVE.1"]
        runs = [project.popen("task", "execute", selection, *AGILE) for selection in selections]
        outputs = [run.communicate(timeout=600) for run in runs]
        committed = Committed.read(project.db_path())
        verify = project.cli("evidence", "verify")
    finally:
        project.down()
        project.remove()
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 3, out[-3000:] + err[-3000:]  # done but for the people's sign-offs
    started = _started([out for out, _ in outputs])
    twice = {task_id: count for task_id, count in committed.task_runs.items() if count != 1}
    assert twice == {}, f"tasks run (or recorded) more than once: {twice}"
    assert set(started.values()) == {1} and len(started) == 70  # the manual tasks wait without starting
    assert len(committed.succeeded) == 70
    assert verify.returncode == 0, verify.stdout + verify.stderr
