"""``task delegate`` through the real CLI: stored assignments, history, errors, JSON.

The project starts in 2099 so "today" is always before day 1 and planning starts on day 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_analytics_cli import Folder
from test_graph_builders import epic, story, task

from luckyctl.model import TaskState

PROJECT = {
    "id": "P",
    "name": "Delegated",
    "start": "2099-01-05",
    "roles": {"dev": {"title": "Developer"}, "ops": {"title": "Operator"}, "sec": {"title": "Security"}},
}
EPICS = [
    epic(
        "E",
        story(
            "E.1", task("T1", hours=8), task("T2", "T1", hours=4), task("T3", hours=4), task("O1", hours=2, owner="ops")
        ),
        story("E.2", task("S1", owner="sec")),
        days=[1, 2],
    )
]


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path, {"project": PROJECT, "epics": EPICS}, {"dev": ["be-1", "be-2"], "ops": ["ops-1"]})


def test_delegate_stores_balanced_assignments_and_prints_them(folder: Folder) -> None:
    result = folder.run("task", "delegate", "E.1")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "4 tasks assigned, from business day 1"
    assert "  T1    -     dev   be-1      -    8h        1-1   2099-01-05..2099-01-05  Task T1" in lines
    assert "  T2    -     dev   be-2      -    4h        2-2   2099-01-06..2099-01-06  Task T2" in lines
    assert "  be-1      dev   1      8h     0h            8h" in lines
    rows = {row["task_id"]: row for row in folder.store().assignments()}
    assert {task_id: row["assignee"] for task_id, row in rows.items()} == {
        "T1": "be-1",
        "T2": "be-2",
        "T3": "be-2",
        "O1": "ops-1",
    }
    assert (rows["T2"]["planned_start_day"], rows["T2"]["planned_end_day"]) == (2, 2)
    (entry,) = folder.store().audit_log()
    assert entry["action"] == "delegate" and entry["detail"]["tasks"] == 4


def test_re_delegating_keeps_history_and_json_names_the_previous_person(folder: Folder) -> None:
    assert folder.run("task", "delegate", "T3").exit_code == 0
    result = folder.run("task", "delegate", "T3", "--to", "be-2", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["plan", "selector", "wave_mode", "waves", "start_day", "assignments", "people"]
    (item,) = document["assignments"]
    assert item == {
        "task_id": "T3",
        "title": "Task T3",
        "role": "dev",
        "assignee": "be-2",
        "previous_assignee": "be-1",
        "estimate_hours": 4.0,
        "wave": None,
        "planned_start_day": 1,
        "planned_end_day": 1,
        "planned_start_date": "2099-01-05",
        "planned_end_date": "2099-01-05",
    }
    history = [(row["assignee"], row["active"]) for row in folder.store().assignments(active_only=False)]
    assert history == [("be-1", 0), ("be-2", 1)]


def test_done_work_no_longer_weighs_on_its_assignee(folder: Folder) -> None:
    assert folder.run("task", "delegate", "T1").exit_code == 0  # be-1, 8h
    assert [row["assignee"] for row in folder.store().assignments()] == ["be-1"]
    folder.store().set_state("T1", TaskState.SUCCEEDED)
    result = folder.run("task", "delegate", "T3", "--json")
    # T1 is done: be-1 carries nothing, so T3 goes to the first listed person again.
    (item,) = json.loads(result.stdout)["assignments"]
    assert item["assignee"] == "be-1"
    assert json.loads(result.stdout)["people"][0]["existing_hours"] == 0.0


def test_wave_mode_json(folder: Folder) -> None:
    result = folder.run("task", "delegate", "T1,T2,T3", "--wave-mode", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["wave_mode"], document["waves"]) == (True, 2)
    assert {a["task_id"]: (a["wave"], a["assignee"]) for a in document["assignments"]} == {
        "T1": (1, "be-1"),
        "T2": (2, "be-2"),
        "T3": (1, "be-2"),
    }
    assert folder.run("task", "delegate", "T1", "--wave-mode").stdout.startswith("1 tasks assigned in 1 waves")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["E.2"], "luckyctl: error: plan 'test' has no people for role 'sec' (tasks S1): list them under team.sec"),
        (
            ["T1", "--to", "be-3"],
            "luckyctl: error: --to: nobody called 'be-3' in the team of plan 'test' (did you mean be-1 or be-2?)",
        ),
        (
            ["E.1", "--to", "be-1"],
            "luckyctl: error: --to: 'be-1' is not in role 'ops' (ops-1), which owns selected tasks",
        ),
        (["E.9"], "luckyctl: error: unknown id 'E.9' (did you mean E.1 or E.2?)"),
    ],
)
def test_input_errors_exit_2_and_change_nothing(folder: Folder, args: list[str], message: str) -> None:
    result = folder.run("task", "delegate", *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].endswith(message.split("error: ", 1)[1])
    assert result.stderr.startswith("luckyctl: error: ")
    assert not folder.store_path.exists()
