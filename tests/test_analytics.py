"""Analytics with answers worked out by hand on a small history written through the store.

The scenario (project start Monday 2026-12-07, business days):

    E1 days 1-2   A 8h (checks) · B 8h needs A (checks) · C 4h            = 20h
    E2 days 3-4   D 8h needs B · E 8h needs D and C · F 4h                  = 20h

    A  fails 09-10 then succeeds 10-17 on day 1 (Mon 7th)    B  13:00 day 2 → 12:00 day 3
    C  succeeds 09-12 on day 2                                D  running since day 4
    E  pending                                                F  blocked

and "now" is Thursday 2026-12-10 15:00 UTC, business day 4.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from test_graph_builders import epic, roadmap, story, task

from luckyctl.analytics import (
    PlanSource,
    ScheduleStatus,
    compute_analytics,
    evidence_passes,
    is_proven,
    latest_attempt_rows,
)
from luckyctl.model import Roadmap, TaskState
from luckyctl.store import Store

NOW = dt.datetime(2026, 12, 10, 15, tzinfo=dt.UTC)
CHECK = [{"file": {"path": "README.md"}}]
_hashes = itertools.count(1)


def at(day: int, hour: int, minute: int = 0) -> str:
    """A UTC timestamp in December 2026."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=dt.UTC).isoformat()


def scenario_epics() -> list[dict[str, Any]]:
    return [
        epic(
            "E1",
            story("E1.1", task("A", hours=8, checks=CHECK), task("B", "A", hours=8, checks=CHECK), task("C", hours=4)),
            days=[1, 2],
        ),
        epic(
            "E2", story("E2.1", task("D", "B", hours=8), task("E", "D", "C", hours=8), task("F", hours=4)), days=[3, 4]
        ),
    ]


def scenario_roadmap() -> Roadmap:
    return roadmap(*scenario_epics())


def add_evidence(store: Store, task_id: str, run_id: str, attempt: int, status: str, phase: str = "check") -> None:
    """One evidence row, chained with a stand-in hash (validity reads status, phase and attempt)."""
    with store.transaction() as conn:
        previous = store.last_evidence_hash(conn) or "0" * 64
        store.insert_evidence(
            conn,
            {
                "run_id": run_id,
                "task_id": task_id,
                "attempt": attempt,
                "phase": phase,
                "kind": "file",
                "status": status,
                "started_at": at(7, 9),
                "ended_at": at(7, 9),
                "prev_hash": previous,
                "hash": f"{next(_hashes):064x}",
            },
        )


def attempt(
    store: Store, task_id: str, number: int, state: str, start: str, end: str | None, hours: float | None
) -> None:
    store.add_task_run(
        run_id="r1",
        task_id=task_id,
        attempt=number,
        state=state,
        started_at=start,
        ended_at=end,
        duration_s=None if hours is None else hours * 3600,
    )


def scenario_store(path: Path) -> Store:
    store = Store.open(path)
    attempt(store, "A", 1, "failed", at(7, 9), at(7, 10), 1)
    add_evidence(store, "A", "r1", 1, "failed")
    attempt(store, "A", 2, "succeeded", at(7, 10), at(7, 17), 7)
    add_evidence(store, "A", "r1", 2, "passed")
    store.set_state("A", TaskState.SUCCEEDED, attempts=2)
    attempt(store, "C", 1, "succeeded", at(8, 9), at(8, 12), 3)
    store.set_state("C", TaskState.SUCCEEDED, attempts=1)
    attempt(store, "B", 1, "succeeded", at(8, 13), at(9, 12), 8)
    add_evidence(store, "B", "r1", 1, "failed")
    store.set_state("B", TaskState.SUCCEEDED, attempts=1)
    attempt(store, "D", 1, "running", at(10, 9), None, None)
    store.set_state("D", TaskState.RUNNING, attempts=1)
    store.set_state("F", TaskState.BLOCKED, reason="waiting for the GCP quota")
    store.assign(
        [
            {"task_id": "A", "assignee": "be-1", "role": "dev"},
            {"task_id": "B", "assignee": "be-1", "role": "dev"},
            {"task_id": "C", "assignee": "be-2", "role": "dev"},
            {"task_id": "D", "assignee": "be-1", "role": "dev", "planned_start_day": 4, "planned_end_day": 4},
        ],
        assigned_by="lead",
    )
    return store


@pytest.fixture
def scenario(tmp_path: Path) -> Any:
    return compute_analytics(scenario_roadmap(), scenario_store(tmp_path / "luckyctl.db"), now=NOW)


def test_progress_counts_states_and_hours(scenario: Any) -> None:
    progress = scenario.to_json()["progress"]
    assert (progress["tasks"], progress["done"], progress["estimate_hours"], progress["done_hours"]) == (6, 3, 40, 20)
    assert (progress["percent_done"], progress["remaining_hours"]) == (50.0, 20)
    assert {state: n for state, n in progress["states"].items() if n} == {
        "succeeded": 3,
        "running": 1,
        "pending": 1,
        "blocked": 1,
    }
    epics = {epic["id"]: epic for epic in scenario.to_json()["epics"]}
    assert epics["E1"]["progress"]["percent_done"] == 100.0
    assert epics["E2"]["stories"][0]["progress"]["states"]["running"] == 1


def test_eta_is_today_plus_the_remaining_critical_path(scenario: Any) -> None:
    # Left: D → E (16h, 2 business days) and F (4h). Today, Thursday, is day 4: days 4 and 5.
    assert (scenario.today_day, scenario.work_start_day) == (4, 4)
    assert scenario.critical_path.to_json() == {"task_ids": ["D", "E"], "hours": 16.0, "business_days": 2}
    assert scenario.eta.to_json() == {"day": 5, "date": "2026-12-11", "business_days_left": 2, "remaining_hours": 20.0}


def test_an_epic_that_has_not_started_waits_for_its_planned_first_day(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "luckyctl.db")
    attempt(store, "A", 1, "succeeded", at(7, 9), at(7, 12), 3)
    store.set_state("A", TaskState.SUCCEEDED)
    result = compute_analytics(scenario_roadmap(), store, now=dt.datetime(2026, 12, 7, 15, tzinfo=dt.UTC))
    # Left: B → D → E is 24h (3 days), but E2 has not started: D waits for day 3 (hour 16), E ends at hour 32.
    assert result.critical_path.to_json() == {"task_ids": ["B", "D", "E"], "hours": 24.0, "business_days": 3}
    assert (result.eta.day, result.eta.business_days_left, result.schedule.variance_days) == (4, 4, 0)
    assert [(epic.id, epic.projected_end_day) for epic in result.epics] == [("E1", 1), ("E2", 4)]


def test_schedule_variance_per_epic_and_overall(scenario: Any) -> None:
    e1, e2 = scenario.epics
    # E1 planned 1-2, started day 1, its last task (B) done on day 3: a day late.
    assert e1.planned.to_json() == {"start_day": 1, "end_day": 2, "start_date": "2026-12-07", "end_date": "2026-12-08"}
    assert e1.actual.to_json() == {"start_day": 1, "end_day": 3, "start_date": "2026-12-07", "end_date": "2026-12-09"}
    assert (e1.projected_end_day, e1.variance_days) == (3, 1)
    # E2 planned 3-4, started day 4, open; projected on day 5.
    assert (e2.actual.start_day, e2.actual.end_day, e2.projected_end_day, e2.variance_days) == (4, None, 5, 1)
    assert scenario.schedule.to_json() == {
        "planned_end_day": 4,
        "planned_end_date": "2026-12-10",
        "projected_end_day": 5,
        "projected_end_date": "2026-12-11",
        "variance_days": 1,
        "status": "late",
    }


def test_burndown_worked_by_hand(scenario: Any) -> None:
    # planned: E1 burns 20h over days 1-2, E2 20h over days 3-4.
    # actual: A (8h) done day 1, C (4h) day 2, B (8h) day 3; nothing after today (day 4).
    table = [
        (p["day"], p["date"], p["planned_remaining_hours"], p["actual_remaining_hours"], p["completed_hours"])
        for p in scenario.to_json()["burndown"]
    ]
    assert table == [
        (0, "2026-12-04", 40.0, 40.0, 0.0),
        (1, "2026-12-07", 30.0, 32.0, 8.0),
        (2, "2026-12-08", 20.0, 28.0, 4.0),
        (3, "2026-12-09", 10.0, 20.0, 8.0),
        (4, "2026-12-10", 0.0, 20.0, 0.0),
        (5, "2026-12-11", 0.0, None, None),
    ]


def test_velocity_and_its_forecast(scenario: Any) -> None:
    # 20h done over days 1-4 = 5h/day; 20h left at that pace = 4 days: days 4, 5, 6, 7 → Tue 15th.
    assert scenario.velocity.to_json() == {
        "hours_per_day": 5.0,
        "days_elapsed": 4,
        "hours_done": 20.0,
        "days_to_finish": 4,
        "finish_day": 7,
        "finish_date": "2026-12-15",
    }


def test_durations_failures_retries_and_flakiest(scenario: Any) -> None:
    durations = scenario.to_json()["durations"]
    assert [(t["task_id"], t["actual_hours"], t["ratio"], t["attempts"]) for t in durations["tasks"]] == [
        ("A", 8.0, 1.0, 2),
        ("B", 8.0, 1.0, 1),
        ("C", 3.0, 0.75, 1),
    ]
    assert (durations["estimate_hours"], durations["actual_hours"], durations["ratio"]) == (20.0, 19.0, 0.95)
    reliability = scenario.to_json()["reliability"]
    assert reliability == {
        "attempts": 4,  # D's attempt is still running
        "failed_attempts": 1,
        "failure_rate": 0.25,
        "tasks_attempted": 4,
        "tasks_retried": 1,
        "retry_rate": 0.25,
        "flakiest": [{"task_id": "A", "title": "Task A", "failed_attempts": 1, "attempts": 2}],
    }


def test_evidence_coverage_blocked_and_workload(scenario: Any) -> None:
    document = scenario.to_json()
    # A's latest check passed; B's did not.
    assert document["evidence_coverage"] == {"tasks_with_checks": 2, "covered": 1, "ratio": 0.5, "uncovered": ["B"]}
    assert document["blocked"] == [{"task_id": "F", "title": "Task F", "reason": "waiting for the GCP quota"}]
    assert document["workload"] == {
        "assignees": [
            {
                "assignee": "be-1",
                "role": "dev",
                "tasks": 3,
                "task_ids": ["A", "B", "D"],
                "assigned_hours": 24.0,
                "done_hours": 16.0,
                "remaining_hours": 8.0,
            },
            {
                "assignee": "be-2",
                "role": "dev",
                "tasks": 1,
                "task_ids": ["C"],
                "assigned_hours": 4.0,
                "done_hours": 4.0,
                "remaining_hours": 0.0,
            },
        ],
        "unassigned_tasks": 2,
        "unassigned_hours": 12.0,
    }


def test_gantt_rows_plan_actual_and_critical_path(scenario: Any) -> None:
    rows = {row.task_id: row for row in scenario.gantt}
    # Without planned days in an assignment: as soon as possible, not before the epic's first day.
    planned = {
        task_id: (row.planned.start_day, row.planned.end_day, row.planned_source) for task_id, row in rows.items()
    }
    assert planned == {
        "A": (1, 1, PlanSource.ROADMAP),
        "B": (2, 2, PlanSource.ROADMAP),
        "C": (1, 1, PlanSource.ROADMAP),
        "D": (4, 4, PlanSource.ASSIGNMENT),
        "E": (4, 4, PlanSource.ROADMAP),
        "F": (3, 3, PlanSource.ROADMAP),
    }
    actual = {task_id: (row.actual.start_day, row.actual.end_day) for task_id, row in rows.items()}
    assert actual == {"A": (1, 1), "B": (2, 3), "C": (2, 2), "D": (4, None), "E": (None, None), "F": (None, None)}
    assert [t for t, row in rows.items() if row.on_critical_path] == ["A", "B", "D", "E"]
    assert [t for t, row in rows.items() if row.on_remaining_critical_path] == ["D", "E"]
    assert rows["D"].to_json()["assignee"] == "be-1" and rows["D"].to_json()["state"] == "running"


def test_nothing_run_yet(tmp_path: Path) -> None:
    before = dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)  # a Thursday before the start
    result = compute_analytics(scenario_roadmap(), None, now=before)
    assert result.today_day == -6 and result.work_start_day == 1
    # The whole critical path A → B → D → E (32h) from day 1: days 1-4, exactly the plan.
    assert (result.eta.day, result.schedule.variance_days, result.schedule.status) == (4, 0, ScheduleStatus.ON_TRACK)
    assert result.velocity.to_json()["hours_per_day"] == 0.0 and result.velocity.days_to_finish is None
    assert result.reliability.failure_rate is None and result.evidence_coverage.uncovered == ["A", "B"]
    assert result.burndown[0].day == 0 and result.burndown[-1].day == 4
    assert all(point.actual_remaining_hours is None for point in result.burndown)


def test_all_done_ends_on_the_last_done_day_and_ahead_is_negative(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "luckyctl.db")
    small = roadmap(
        epic("E1", story("E1.1", task("A", hours=8)), days=[1, 3]), epic("X", story("X.1", task("Y", hours=2)))
    )
    attempt(store, "A", 1, "succeeded", at(8, 9), at(8, 17), 8)
    store.set_state("A", TaskState.SUCCEEDED)
    store.set_state("Y", TaskState.SKIPPED, ended_at=at(9, 10))  # up to date: done without history here
    result = compute_analytics(small, store, now=dt.datetime(2026, 12, 14, 8, tzinfo=dt.UTC))
    assert result.eta.to_json() == {"day": 3, "date": "2026-12-09", "business_days_left": 0, "remaining_hours": 0.0}
    assert (result.schedule.variance_days, result.schedule.status) == (0, ScheduleStatus.ON_TRACK)
    assert [(e.id, e.planned and e.planned.end_day, e.variance_days, e.projected_end_day) for e in result.epics] == [
        ("E1", 3, -1, 2),  # done on day 2 of a plan ending on day 3
        ("X", None, None, 3),
    ]
    # An epic without planned days never burns in the plan.
    assert result.burndown[-1].planned_remaining_hours == 2.0
    assert result.critical_path.task_ids == [] and result.velocity.finish_day is None


def test_an_empty_roadmap_has_no_eta() -> None:
    empty = roadmap()
    result = compute_analytics(empty, None, now=NOW)
    assert result.eta is None and result.schedule.projected_end_day is None and result.schedule.status is None
    assert result.to_json()["eta"] is None


def test_evidence_validity_reads_the_latest_attempt_and_ignores_approvals() -> None:
    def row(run: str, number: int, status: str, phase: str = "check") -> dict[str, Any]:
        return {"run_id": run, "attempt": number, "status": status, "phase": phase}

    rows = [row("r1", 1, "failed"), row("r1", 2, "passed"), row("r1", 2, "passed", "step")]
    assert latest_attempt_rows(rows) == rows[1:]
    assert evidence_passes(rows)
    assert not evidence_passes([*rows, row("r2", 1, "failed")])
    assert evidence_passes([*rows, row("r2", 1, "passed", "approval")])
    assert not evidence_passes([row("r1", 1, "passed", "approval")])
    assert evidence_passes([row("r1", 1, "waiting", "step"), row("r1", 1, "passed", "signoff")]) is False
    assert evidence_passes([row("r1", 1, "waiting", "step"), row("", 0, "passed", "signoff")])
    assert not evidence_passes([])
    assert is_proven(TaskState.SKIPPED, rows) and not is_proven(TaskState.FAILED, rows)
