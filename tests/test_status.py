"""The status result object: states from the store, totals, JSON, and one-line step summaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_graph_builders import epic, lucky_roadmap, roadmap, story, task

from luckyctl.model import Step, TaskState
from luckyctl.status import Totals, build_status, read_status, summarize_step
from luckyctl.store import Store, TaskRecord


def record(task_id: str, state: TaskState, attempts: int = 1, reason: str | None = None) -> TaskRecord:
    return TaskRecord(task_id=task_id, state=state, attempts=attempts, reason=reason)


def test_tasks_the_store_has_not_seen_are_pending_and_totals_count_hours() -> None:
    records = {
        "FE-INT.1.1": record("FE-INT.1.1", TaskState.SUCCEEDED),
        "FE-INT.1.2": record("FE-INT.1.2", TaskState.FAILED, 2, reason="exit code 1"),
        "FE-INT.2.2": record("FE-INT.2.2", TaskState.SKIPPED, 0, reason="up to date"),
    }
    report = build_status(lucky_roadmap(), plan="sandbox", records=records, assignees={"FE-INT.1.1": "fe-1"})
    tasks = {task.id: task for epic in report.epics for story in epic.stories for task in story.tasks}
    assert tasks["FE-INT.2.1"].state is TaskState.PENDING and tasks["FE-INT.2.1"].attempts == 0
    assert tasks["FE-INT.1.1"].assignee == "fe-1"
    assert tasks["FE-INT.1.2"].reason == "exit code 1"
    assert tasks["FE-INT.2.2"].reason is None  # a skipped task's note is not a problem to show
    fe_int = report.epics[0].totals
    assert (fe_int.tasks, fe_int.done, fe_int.estimate_hours, fe_int.done_hours) == (4, 2, 17.0, 5.0)
    assert fe_int.percent_done == pytest.approx(100 * 5 / 17)
    assert fe_int.whole_percent_done == 29
    assert report.totals.states[TaskState.PENDING] == 2
    assert report.totals.tasks == 5


def test_a_selection_leaves_out_empty_stories_and_epics() -> None:
    report = build_status(lucky_roadmap(), plan="sandbox", records={}, assignees={}, task_ids=["FE-INT.2.2"])
    assert [(epic.id, [story.id for story in epic.stories]) for epic in report.epics] == [("FE-INT", ["FE-INT.2"])]
    assert report.totals.tasks == 1


def test_percent_done_counts_tasks_when_nothing_has_an_estimate() -> None:
    built = roadmap(epic("E", story("S", task("A", hours=0), task("B", hours=0), task("C", hours=0))))
    report = build_status(built, plan="p", records={"A": record("A", TaskState.SUCCEEDED)}, assignees={})
    assert report.totals.percent_done == pytest.approx(100 / 3)
    assert Totals.of([]).percent_done == 0.0
    # 99.6 % is not done: whole percent rounds down
    assert Totals({TaskState.SUCCEEDED: 249, TaskState.PENDING: 1}, 250.0, 249.0).whole_percent_done == 99


def test_the_json_document_has_the_contract_shape() -> None:
    records = {"FE-INT.1.2": record("FE-INT.1.2", TaskState.WAITING, reason="needs sign-off")}
    document = build_status(lucky_roadmap(), plan="sandbox", records=records, assignees={}).to_json()
    assert set(document) == {"project", "plan", "epics", "totals"}
    assert document["project"] == {"id": "P", "name": "Test project"}
    assert document["plan"] == "sandbox"
    first = document["epics"][0]
    assert set(first) == {"id", "title", "days", "stories", "totals"}
    assert (first["id"], first["title"], first["days"]) == ("FE-INT", "Frontend Integration", [1, 3])
    assert first["stories"][0]["tasks"][1] == {
        "id": "FE-INT.1.2",
        "title": "Task FE-INT.1.2",
        "owner": "dev",
        "assignee": None,
        "state": "waiting",
        "attempts": 1,
        "estimate_hours": 4.0,
        "reason": "needs sign-off",
        "last_evidence_at": None,
    }
    assert document["totals"] == {
        "tasks": 5,
        "done": 0,
        "estimate_hours": 18.0,
        "done_hours": 0.0,
        "percent_done": 0.0,
        "states": {
            state.value: (1 if state is TaskState.WAITING else 4 if state is TaskState.PENDING else 0)
            for state in TaskState
        },
    }


def test_read_status_takes_states_and_active_assignments_from_the_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "luckyctl.db")
    store.set_state("FE-INT.1.1", TaskState.SUCCEEDED, attempts=1, last_evidence_at="2026-12-07T10:00:00+00:00")
    store.set_state("FE-INT.2.1", TaskState.BLOCKED, reason="FE-INT.1.2 is failed")
    store.assign([{"task_id": "FE-INT.1.1", "assignee": "fe-1", "role": "dev"}], assigned_by="lead")
    store.assign([{"task_id": "FE-INT.1.1", "assignee": "fe-2", "role": "dev"}], assigned_by="lead")
    report = read_status(lucky_roadmap(), store, plan="sandbox")
    store.close()
    tasks = {task.id: task for epic in report.epics for story in epic.stories for task in story.tasks}
    assert tasks["FE-INT.1.1"].assignee == "fe-2"
    assert tasks["FE-INT.1.1"].last_evidence_at == "2026-12-07T10:00:00+00:00"
    assert tasks["FE-INT.2.1"].reason == "FE-INT.1.2 is failed"
    nothing_yet = read_status(lucky_roadmap(), None, plan="sandbox")
    assert nothing_yet.totals.states[TaskState.PENDING] == 5


@pytest.mark.parametrize(
    ("spec", "summary"),
    [
        ({"run": {"argv": ["pytest", "-q", "tests dir"]}}, "pytest -q 'tests dir'"),
        ({"run": {"cmd": "make check", "expect": {"exit_code": 2}}}, "make check (exit 2)"),
        ({"http": {"url": "${backend_url}/health", "expect": {"status": 200}}}, "GET ${backend_url}/health → 200"),
        ({"http": {"method": "POST", "url": "/x", "expect": {"status": [200, 201]}}}, "POST /x → 200|201"),
        ({"http": {"url": "/x"}}, "GET /x"),
        (
            {
                "probe": {
                    "url": "/api",
                    "requests": 500,
                    "concurrency": 20,
                    "expect": {"p95_ms": 200, "error_rate": 0.1},
                }
            },
            "GET /api: 500 requests, 20 at once (p95_ms ≤ 200, error_rate ≤ 0.1)",
        ),
        ({"probe": {"url": "/api"}}, "GET /api: 100 requests, 10 at once"),
        (
            {
                "cloud_run": {
                    "action": "traffic",
                    "service": "api",
                    "traffic": [{"percent": 10}, {"revision": "r1", "percent": 90}],
                }
            },
            "traffic api, 10% to latest, 90% to r1",
        ),
        ({"cloud_run": {"action": "deploy", "service": "api", "image": "img:1"}}, "deploy api image img:1"),
        (
            {"gcp": {"api": "serviceusage", "path": "/v1/services", "expect": {"status": 200}}},
            "GET serviceusage /v1/services → 200",
        ),
        ({"sql": {"instance": "p:r:i", "query": "SELECT\n  1"}}, "SELECT 1 on p:r:i"),
        ({"sql": {"dsn": "postgresql://u:hunter2@h/db", "query": "SELECT 1"}}, "SELECT 1 via dsn"),
        (
            {"file": {"path": "coverage.xml", "expect": {"contains": "line-rate"}}},
            "coverage.xml exists, contains 'line-rate'",
        ),
        ({"file": {"path": "x", "expect": {"exists": False, "matches": "a.*"}}}, "x is absent, matches 'a.*'"),
        (
            {"manual": {"instruction": "Confirm with dispatch", "attachments_required": 1}},
            "Confirm with dispatch (1 attachment(s) required)",
        ),
        ({"manual": {"instruction": "x" * 150}}, "x" * 99 + "…"),
    ],
)
def test_each_step_kind_has_a_one_line_summary(spec: dict[str, object], summary: str) -> None:
    assert summarize_step(Step.model_validate(spec)) == summary
