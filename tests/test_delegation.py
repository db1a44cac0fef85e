"""Delegation: balanced by hours within a role, waves without double-booking, planned days."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_graph_builders import epic, roadmap, story, task

from luckyctl.delegation import Delegation, plan_delegation
from luckyctl.errors import InputError, PlanError
from luckyctl.model import Plan, Roadmap

TEAM = {"dev": ["be-1", "be-2"], "ops": ["ops-1"]}


def plan(team: dict[str, list[str]] | None = None) -> Plan:
    return Plan(name="test", team=TEAM if team is None else team)


def one_story(*tasks: dict[str, Any], days: list[int] | None = None) -> Roadmap:
    return roadmap(epic("E", story("E.1", *tasks), days=days))


def by_task(result: Delegation) -> dict[str, tuple[str, int, int]]:
    return {a.task_id: (a.assignee, a.planned_start_day, a.planned_end_day) for a in result.assignments}


def test_longest_first_onto_the_least_loaded_person_and_days_from_hours() -> None:
    small = one_story(task("T1", hours=8), task("T2", hours=4), task("T3", hours=4), task("T4", hours=2))
    result = plan_delegation(small, plan(), ["T1", "T2", "T3", "T4"])
    # T1 8h → be-1; T2 → be-2 (4); T3 → be-2 (8); T4: a tie at 8h goes to the first listed, be-1.
    # be-1 works T1 on day 1 (hours 0-8) then T4 on day 2; be-2 fits T2 and T3 into day 1.
    assert by_task(result) == {"T1": ("be-1", 1, 1), "T2": ("be-2", 1, 1), "T3": ("be-2", 1, 1), "T4": ("be-1", 2, 2)}
    assert [(p.assignee, p.hours, p.existing_hours) for p in result.people] == [("be-1", 10.0, 0.0), ("be-2", 8.0, 0.0)]
    assert result.rows()[0] == {
        "task_id": "T1",
        "assignee": "be-1",
        "role": "dev",
        "wave": None,
        "planned_start_day": 1,
        "planned_end_day": 1,
    }
    assert result.assignments[3].to_json()["planned_start_date"] == "2026-12-08"


def test_existing_work_outside_the_selection_counts_in_load_and_calendar() -> None:
    small = one_story(task("X", hours=8), task("T1", "X", hours=4), task("T2", hours=4))
    existing = [{"task_id": "X", "assignee": "be-1", "role": "dev", "planned_end_day": 2}]
    result = plan_delegation(small, plan(), ["T1", "T2"], existing=existing)
    # be-1 already holds X (8h, until day 2): both tasks go to be-2, T1 only after X ends (day 3).
    assert by_task(result) == {"T1": ("be-2", 3, 3), "T2": ("be-2", 1, 1)}
    assert {p.assignee: p.total_hours for p in result.people} == {"be-1": 8.0, "be-2": 8.0}


def test_assignments_of_tasks_no_longer_in_the_roadmap_are_ignored() -> None:
    small = one_story(task("T1", hours=4))
    existing = [{"task_id": "GONE", "assignee": "be-1", "role": "dev", "planned_end_day": 9}]
    result = plan_delegation(small, plan(), ["T1"], existing=existing)
    assert by_task(result) == {"T1": ("be-1", 1, 1)}


def test_re_delegation_names_the_previous_assignee_and_planning_can_start_later() -> None:
    small = one_story(task("T1", hours=16))
    existing = [{"task_id": "T1", "assignee": "be-2", "role": "dev", "planned_end_day": 3}]
    result = plan_delegation(small, plan(), ["T1"], existing=existing, start_day=5)
    (only,) = result.assignments
    assert (only.assignee, only.previous_assignee, only.planned_start_day, only.planned_end_day) == (
        "be-1",
        "be-2",
        5,
        6,
    )
    assert result.to_json()["start_day"] == 5


def test_wave_mode_spreads_each_wave_before_doubling_up() -> None:
    small = one_story(
        task("A", hours=2),
        task("B", hours=2),
        task("C", hours=2),
        task("D", "A", "B", "C", hours=8),
        task("E", "A", hours=1),
    )
    result = plan_delegation(small, plan(), ["A", "B", "C", "D", "E"], wave_mode=True)
    assert result.waves == 2
    waves = {a.task_id: a.wave for a in result.assignments}
    assert waves == {"A": 1, "B": 1, "C": 1, "D": 2, "E": 2}
    wave_1 = Counter(a.assignee for a in result.assignments if a.wave == 1)
    assert sorted(wave_1.values()) == [1, 2]  # three tasks, two people: one doubles up only after both have one
    # Wave 2 starts when wave 1 ends (4h in): D and E go to different people, on day 1 and 2.
    assert {a.task_id: (a.planned_start_day, a.planned_end_day) for a in result.assignments if a.wave == 2} == {
        "D": (1, 2),
        "E": (1, 1),
    }
    assert len({a.assignee for a in result.assignments if a.wave == 2}) == 2


def test_to_forces_one_person_who_must_hold_the_role() -> None:
    small = one_story(task("T1", hours=3), task("T2", hours=5))
    result = plan_delegation(small, plan(), ["T1", "T2"], to="be-2")
    assert {a.assignee for a in result.assignments} == {"be-2"}
    assert by_task(result) == {"T1": ("be-2", 1, 1), "T2": ("be-2", 1, 1)}
    with pytest.raises(InputError, match=r"--to: nobody called 'be-3' in the team of plan 'test' \(did you mean be-1"):
        plan_delegation(small, plan(), ["T1"], to="be-3")
    with pytest.raises(InputError, match=r"--to: 'ops-1' is not in role 'dev' \(be-1, be-2\)"):
        plan_delegation(small, plan(), ["T1"], to="ops-1")


def test_a_role_without_people_is_a_plan_error() -> None:
    small = one_story(
        task("T1", owner="ops"), task("T2", owner="ops"), task("T3", owner="ops"), task("T4", owner="ops")
    )
    with pytest.raises(
        PlanError, match=r"plan 'test' has no people for role 'ops' \(tasks T1, T2, T3, …\): list them under team.ops"
    ):
        plan_delegation(small, plan({"dev": ["be-1"]}), ["T1", "T2", "T3", "T4"])


# ---------------------------------------------------------------- properties


@st.composite
def delegation_cases(draw: st.DrawFn) -> tuple[Roadmap, Plan]:
    count = draw(st.integers(min_value=1, max_value=14))
    tasks = []
    for index in range(count):
        deps = draw(st.lists(st.integers(min_value=0, max_value=index - 1), unique=True, max_size=3)) if index else []
        tasks.append(
            task(
                f"T{index}",
                *(f"T{dep}" for dep in deps),
                hours=draw(st.integers(min_value=1, max_value=16)),
                owner=draw(st.sampled_from(["dev", "ops"])),
            )
        )
    team = {
        role: [f"{role}-{n}" for n in range(draw(st.integers(min_value=1, max_value=3)))] for role in ("dev", "ops")
    }
    return one_story(*tasks), Plan(name="p", team=team)


def _loads(result: Delegation) -> dict[str, dict[str, float]]:
    loads: dict[str, dict[str, float]] = defaultdict(dict)
    for person in result.people:
        loads[person.role][person.assignee] = person.total_hours
    return loads


@settings(max_examples=150, deadline=None)
@given(delegation_cases(), st.booleans())
def test_every_task_goes_to_its_role_and_nobody_works_two_tasks_at_once(
    case: tuple[Roadmap, Plan], waves: bool
) -> None:
    built, team = case
    ids = list(built.tasks)
    result = plan_delegation(built, team, ids, wave_mode=waves)
    spans = {a.task_id: (a.start_hour, a.end_hour) for a in result.assignments}
    assert [a.task_id for a in result.assignments] == ids
    for assignment in result.assignments:
        assert assignment.assignee in team.team[built.tasks[assignment.task_id].owner]
        assert assignment.planned_start_day <= assignment.planned_end_day
        for dep in built.tasks[assignment.task_id].depends_on:
            assert spans[dep][1] <= assignment.start_hour + 1e-9
    per_person = defaultdict(list)
    for assignment in result.assignments:
        per_person[assignment.assignee].append(spans[assignment.task_id])
    for intervals in per_person.values():
        intervals.sort()
        assert all(a[1] <= b[0] + 1e-9 for a, b in itertools.pairwise(intervals))


@settings(max_examples=150, deadline=None)
@given(delegation_cases())
def test_hours_are_balanced_within_one_task_of_the_role(case: tuple[Roadmap, Plan]) -> None:
    built, team = case
    result = plan_delegation(built, team, list(built.tasks))
    for role, loads in _loads(result).items():
        largest = max(t.estimate for t in built.tasks.values() if t.owner == role)
        assert max(loads.values()) - min(loads.values()) <= largest


@settings(max_examples=150, deadline=None)
@given(delegation_cases())
def test_wave_mode_double_books_nobody_while_a_teammate_is_free(case: tuple[Roadmap, Plan]) -> None:
    built, team = case
    result = plan_delegation(built, team, list(built.tasks), wave_mode=True)
    held: dict[tuple[int | None, str], Counter[str]] = defaultdict(Counter)
    for assignment in result.assignments:
        held[(assignment.wave, assignment.role)][assignment.assignee] += 1
    for (_, role), counts in held.items():
        if max(counts.values()) > 1:
            assert all(counts[person] >= 1 for person in team.team[role])
        assert max(counts.values()) - min(counts[person] for person in team.team[role]) <= 1
