"""Risk scoring worked by hand: open → in-progress → mitigated, overdue, residual levels and the matrix.

Roadmap (start Monday 2026-12-07): E1 days 1-2 with story E1.1 = A, B, C; E2 days 3-4 with D, E, F.
R1 high × medium (6, high), mitigated by the story E1.1; R2 medium × low (2, low), mitigated by E.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from test_analytics import add_evidence, scenario_epics

from luckyctl.errors import RoadmapError
from luckyctl.model import Level, Roadmap, TaskState
from luckyctl.risks import RiskStatus, assess_risks, cell_level, level_of_score
from luckyctl.store import Store

PROJECT = {"id": "P", "name": "Test project", "start": "2026-12-07", "roles": {"dev": {"title": "Developer"}}}
RISKS: list[dict[str, Any]] = [
    {
        "id": "R1",
        "title": "Data loss",
        "impact": "high",
        "probability": "medium",
        "owner": "dev",
        "mitigated_by": ["E1.1"],
    },
    {"id": "R2", "title": "Slow pages", "impact": "medium", "probability": "low", "mitigated_by": ["E"]},
]
DAY_1 = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)


def risk_roadmap(risks: list[dict[str, Any]] | None = None) -> Roadmap:
    return Roadmap.model_validate(
        {"project": PROJECT, "risks": RISKS if risks is None else risks, "epics": scenario_epics()}
    )


def prove(store: Store, task_id: str, status: str = "passed") -> None:
    store.set_state(task_id, TaskState.SUCCEEDED, attempts=1)
    add_evidence(store, task_id, "r1", 1, status)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "luckyctl.db")


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, None),
        (0.5, Level.LOW),
        (2, Level.LOW),
        (2.01, Level.MEDIUM),
        (4, Level.MEDIUM),
        (4.5, Level.HIGH),
        (9, Level.HIGH),
    ],
)
def test_a_score_rounds_up_to_its_level(score: float, level: Level | None) -> None:
    assert level_of_score(score) is level


def test_cell_levels_of_the_matrix() -> None:
    assert [cell_level(Level.HIGH, p) for p in (Level.LOW, Level.MEDIUM, Level.HIGH)] == [
        Level.MEDIUM,
        Level.HIGH,
        Level.HIGH,
    ]
    assert cell_level(Level.LOW, Level.LOW) is Level.LOW


def test_open_then_in_progress_then_mitigated(store: Store) -> None:
    roadmap = risk_roadmap()
    r1 = assess_risks(roadmap, store, now=DAY_1).risks[0]
    assert (r1.inherent_score, r1.inherent_level, r1.progress, r1.residual_score) == (6, Level.HIGH, 0.0, 6.0)
    assert (r1.residual_level, r1.status, r1.next_task.task_id) == (Level.HIGH, RiskStatus.OPEN, "A")
    assert [task.task_id for task in r1.mitigations] == ["A", "B", "C"]  # by planned day, then dependency order

    prove(store, "A")
    r1 = assess_risks(roadmap, store, now=DAY_1).risks[0]
    # 6 × (1 − 1/3) = 4: medium; the next task to do is B.
    assert (round(r1.progress, 4), r1.residual_score, r1.residual_level) == (0.3333, 4.0, Level.MEDIUM)
    assert (r1.status, r1.next_task.task_id, r1.residual_probability) == (RiskStatus.IN_PROGRESS, "B", Level.MEDIUM)

    prove(store, "C")
    prove(store, "B", status="failed")  # succeeded, but its evidence failed: not proven
    r1 = assess_risks(roadmap, store, now=DAY_1).risks[0]
    assert (r1.residual_score, r1.residual_level, r1.residual_probability) == (pytest.approx(2.0), Level.LOW, Level.LOW)
    assert r1.next_task.task_id == "B"

    add_evidence(store, "B", "r2", 1, "passed")
    r1 = assess_risks(roadmap, store, now=DAY_1).risks[0]
    assert (r1.progress, r1.residual_score, r1.residual_level, r1.status) == (1.0, 0.0, None, RiskStatus.MITIGATED)
    assert r1.next_task is None and r1.residual_probability is None
    document = r1.to_json()
    assert (document["residual_level"], document["residual_probability"], document["next_task"]) == (None, None, None)


def test_overdue_after_the_planned_day_unless_the_assignment_plans_later(store: Store) -> None:
    roadmap = risk_roadmap()
    day_4, day_5 = dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC), dt.datetime(2026, 12, 11, 12, tzinfo=dt.UTC)
    report = assess_risks(roadmap, store, now=day_4)
    # R1's tasks belong to E1 (last planned day 2, Tue 8th): overdue on day 4. E (R2) is planned for day 4: not yet.
    assert [risk.status for risk in report.risks] == [RiskStatus.OVERDUE, RiskStatus.OPEN]
    assert report.risks[0].mitigations[0].to_json()["planned_date"] == "2026-12-08"
    assert assess_risks(roadmap, store, now=day_5).risks[1].status is RiskStatus.OVERDUE
    store.assign([{"task_id": "E", "assignee": "be-1", "role": "dev", "planned_end_day": 6}], assigned_by="lead")
    late = assess_risks(roadmap, store, now=day_5).risks[1]
    assert (late.status, late.mitigations[0].planned_day, late.mitigations[0].assignee) == (RiskStatus.OPEN, 6, "be-1")
    # Proving a task ends its part in being overdue.
    prove(store, "A"), prove(store, "B"), prove(store, "C")
    assert assess_risks(roadmap, store, now=day_5).risks[0].status is RiskStatus.MITIGATED


def test_matrix_counts_and_threshold(store: Store) -> None:
    roadmap = risk_roadmap()
    prove(store, "A")
    report = assess_risks(roadmap, store, now=DAY_1)
    document = report.to_json()
    assert document["matrix"]["inherent"]["high"]["medium"] == ["R1"]
    assert document["matrix"]["inherent"]["medium"]["low"] == ["R2"]
    assert document["matrix"]["residual"]["high"]["medium"] == ["R1"]  # 4 on the high row: ⌈4/3⌉ = medium
    assert document["status_counts"] == {"open": 1, "in-progress": 1, "mitigated": 0, "overdue": 0}
    assert [risk.id for risk in report.at_or_above(Level.MEDIUM)] == ["R1"]
    assert report.at_or_above(Level.HIGH) == []
    assert [risk.id for risk in report.at_or_above(Level.LOW)] == ["R1", "R2"]


def test_a_risk_without_mitigating_tasks_stays_open(store: Store) -> None:
    roadmap = risk_roadmap([{"id": "R9", "title": "Unknown unknowns", "impact": "low", "probability": "high"}])
    (risk,) = assess_risks(roadmap, store, now=DAY_1).risks
    assert (risk.progress, risk.residual_score, risk.status, risk.next_task) == (0.0, 3.0, RiskStatus.OPEN, None)


def test_a_project_wide_mitigation_expands_to_every_task_and_no_store_means_nothing_done() -> None:
    roadmap = risk_roadmap(
        [{"id": "R3", "title": "All", "impact": "low", "probability": "low", "mitigated_by": ["P", "E2"]}]
    )
    (risk,) = assess_risks(roadmap, None, now=DAY_1).risks
    assert sorted(task.task_id for task in risk.mitigations) == ["A", "B", "C", "D", "E", "F"]
    assert risk.status is RiskStatus.OPEN


def test_an_unknown_mitigating_id_is_a_roadmap_error_with_a_suggestion() -> None:
    roadmap = risk_roadmap(
        [{"id": "R4", "title": "x", "impact": "low", "probability": "low", "mitigated_by": ["E1.2"]}]
    )
    with pytest.raises(RoadmapError, match=r"risk 'R4' is mitigated by unknown id 'E1.2' \(did you mean E1.1"):
        assess_risks(roadmap, None, now=DAY_1)
