"""Delegation: who does which task, and on which business days.

Each task goes to a person of its owner role (the plan's ``team``):

- balanced: longest task first onto the least-loaded person of the role, the
  load counting their active assignments outside the selection too; with no
  earlier load this keeps max − min load within the role's longest task;
- ``wave_mode``: the selection's topological generations are waves; within
  a wave a person gets a second task of the role only once every teammate
  has one;
- ``to``: one person takes everything (they must be in each task's role).

Planned days: each person works 8 hours a business day, one task at a time,
in dependency order; a task starts once its dependencies in the selection end
and, for those outside it, after their assignment's planned end day; in wave
mode a wave starts when the previous one ends. Hour 0 is the start of
``start_day``.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from luckyctl.calendar import ProjectCalendar, day_span
from luckyctl.durations import WORK_DAY_HOURS
from luckyctl.errors import InputError, PlanError
from luckyctl.model import Plan, Roadmap
from luckyctl.selectors import suggest

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class Assignment:
    task_id: str
    title: str
    role: str
    assignee: str
    previous_assignee: str | None
    estimate_hours: float
    wave: int | None  # 1-based, in wave mode
    start_hour: float  # from the start of the delegation's first day
    end_hour: float
    planned_start_day: int
    planned_end_day: int
    planned_start_date: str
    planned_end_date: str

    def row(self) -> dict[str, Any]:
        """The ``assignments`` row ``Store.assign`` takes."""
        return {
            "task_id": self.task_id,
            "assignee": self.assignee,
            "role": self.role,
            "wave": self.wave,
            "planned_start_day": self.planned_start_day,
            "planned_end_day": self.planned_end_day,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "title": self.title,
            "role": self.role,
            "assignee": self.assignee,
            "previous_assignee": self.previous_assignee,
            "estimate_hours": self.estimate_hours,
            "wave": self.wave,
            "planned_start_day": self.planned_start_day,
            "planned_end_day": self.planned_end_day,
            "planned_start_date": self.planned_start_date,
            "planned_end_date": self.planned_end_date,
        }


@dataclass(frozen=True)
class PersonLoad:
    assignee: str
    role: str
    task_ids: list[str]
    hours: float  # of the selection
    existing_hours: float  # active assignments outside the selection

    @property
    def total_hours(self) -> float:
        return self.hours + self.existing_hours

    def to_json(self) -> dict[str, Any]:
        return {
            "assignee": self.assignee,
            "role": self.role,
            "tasks": len(self.task_ids),
            "task_ids": self.task_ids,
            "hours": self.hours,
            "existing_hours": self.existing_hours,
            "total_hours": self.total_hours,
        }


@dataclass(frozen=True)
class Delegation:
    """The result of ``task delegate``: one assignment per selected task, in roadmap order."""

    assignments: list[Assignment]
    people: list[PersonLoad]
    wave_mode: bool
    waves: int
    start_day: int

    def rows(self) -> list[dict[str, Any]]:
        return [assignment.row() for assignment in self.assignments]

    def to_json(self) -> dict[str, Any]:
        return {
            "wave_mode": self.wave_mode,
            "waves": self.waves,
            "start_day": self.start_day,
            "assignments": [assignment.to_json() for assignment in self.assignments],
            "people": [person.to_json() for person in self.people],
        }


# ---------------------------------------------------------------- who


def _teams(roadmap: Roadmap, plan: Plan, task_ids: Sequence[str]) -> dict[str, list[str]]:
    """Role → its people, for every role the selection needs; a role without people is an error."""
    needed: dict[str, list[str]] = defaultdict(list)
    for task_id in task_ids:
        needed[roadmap.tasks[task_id].owner].append(task_id)
    teams: dict[str, list[str]] = {}
    for role, ids in needed.items():
        people = list(dict.fromkeys(plan.team.get(role, [])))
        if not people:
            path, line = plan.location("team") or (None, None)
            shown = ", ".join(ids[:3]) + (", …" if len(ids) > 3 else "")
            raise PlanError(
                f"plan '{plan.name}' has no people for role '{role}' (tasks {shown}): list them under team.{role}",
                path=path,
                line=line,
            )
        teams[role] = people
    return teams


def _check_forced(person: str, plan: Plan, teams: Mapping[str, list[str]]) -> None:
    everyone = [name for names in plan.team.values() for name in names]
    if person not in everyone:
        close = suggest(person, everyone)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        raise InputError(f"--to: nobody called '{person}' in the team of plan '{plan.name}'{hint}")
    for role, people in teams.items():
        if person not in people:
            raise InputError(
                f"--to: '{person}' is not in role '{role}' ({', '.join(people)}), which owns selected tasks"
            )


def _choose(
    roadmap: Roadmap,
    teams: Mapping[str, list[str]],
    groups: Sequence[Sequence[str]],
    load: dict[str, float],
    forced: str | None,
    spread: bool,
) -> dict[str, str]:
    """Task → person. Within each group (a wave, or the whole selection) longest tasks go first.

    ``spread``: a person gets a second task of a group only once every teammate has one.
    """
    from luckyctl.graph import id_key

    chosen: dict[str, str] = {}
    for group in groups:
        held: dict[str, int] = defaultdict(int)  # tasks each person got in this group
        for task_id in sorted(group, key=lambda task_id: (-roadmap.tasks[task_id].estimate, id_key(task_id))):
            people = teams[roadmap.tasks[task_id].owner]
            person = forced or min(
                people, key=lambda name: (held[name] if spread else 0, load[name], people.index(name))
            )
            chosen[task_id] = person
            held[person] += 1
            load[person] += roadmap.tasks[task_id].estimate
    return chosen


# ---------------------------------------------------------------- when


def _existing(
    roadmap: Roadmap, existing: Sequence[Mapping[str, Any]], selected: set[str], start_day: int
) -> tuple[dict[str, float], dict[str, float], dict[str, float], dict[str, str]]:
    """From active assignments: hours and busy-until per person, ready hour of tasks outside the selection, previous assignees."""
    load: dict[str, float] = defaultdict(float)
    busy: dict[str, float] = defaultdict(float)
    ready: dict[str, float] = {}
    previous: dict[str, str] = {}
    for row in existing:
        task_id, person = row["task_id"], row["assignee"]
        if task_id in selected:
            previous[task_id] = person
            continue
        if task_id not in roadmap.tasks:
            continue
        load[person] += roadmap.tasks[task_id].estimate
        end_day = row.get("planned_end_day")
        if end_day is not None:
            until = max(0.0, (end_day - start_day + 1) * WORK_DAY_HOURS)
            busy[person] = max(busy[person], until)
            ready[task_id] = until
    return load, busy, ready, previous


def _outside_deps(roadmap: Roadmap, task_id: str, graph: nx.DiGraph) -> list[str]:
    """Tasks ``task_id`` depends on that are not in the selection (a story or epic stands for its tasks)."""
    deps: list[str] = []
    for dep in roadmap.tasks[task_id].depends_on:
        deps.extend(member for member in roadmap.tasks_under(dep) if member not in graph)
    return deps


def _schedule(
    roadmap: Roadmap,
    graph: nx.DiGraph,
    groups: Sequence[Sequence[str]],
    chosen: Mapping[str, str],
    busy: dict[str, float],
    ready: Mapping[str, float],
) -> dict[str, tuple[float, float]]:
    """Task → (start hour, end hour) by list scheduling: one task at a time per person, after its dependencies.

    Groups run one after the other (a wave starts when the previous one has
    ended). Within a group, the task that can start earliest goes next; ties
    go to the longest remaining path, so the critical path never waits.
    """
    from luckyctl.graph import id_key, longest_remaining_path

    tail = longest_remaining_path(graph)
    span: dict[str, tuple[float, float]] = {}

    def earliest(task_id: str, group_start: float) -> float:
        after = [ready.get(dep, 0.0) for dep in _outside_deps(roadmap, task_id, graph)]
        after += [span[dep][1] for dep in graph.pred[task_id] if dep in span]
        return max([group_start, busy[chosen[task_id]], *after])

    group_start = 0.0
    for group in groups:
        members = set(group)
        waiting = {task_id: sum(1 for dep in graph.pred[task_id] if dep in members) for task_id in group}
        heap = [(earliest(t, group_start), -tail[t], id_key(t)) for t, count in waiting.items() if count == 0]
        heapq.heapify(heap)
        while heap:
            begin, priority, key = heapq.heappop(heap)
            task_id = key[1]
            now = earliest(task_id, group_start)
            if now > begin:  # the person got busier since this entry was made
                heapq.heappush(heap, (now, priority, key))
                continue
            span[task_id] = (begin, begin + roadmap.tasks[task_id].estimate)
            busy[chosen[task_id]] = span[task_id][1]
            for successor in graph.succ[task_id]:
                if successor in members:
                    waiting[successor] -= 1
                    if waiting[successor] == 0:
                        heapq.heappush(heap, (earliest(successor, group_start), -tail[successor], id_key(successor)))
        group_start = max([group_start, *(span[task_id][1] for task_id in group)])
    return span


def plan_delegation(
    roadmap: Roadmap,
    plan: Plan,
    task_ids: Sequence[str],
    *,
    to: str | None = None,
    wave_mode: bool = False,
    existing: Sequence[Mapping[str, Any]] = (),
    start_day: int = 1,
) -> Delegation:
    """Assign ``task_ids`` to people of ``plan.team`` and plan their days.

    ``existing``: the active assignments of work still to do (``Store.assignments()`` rows);
    those outside the selection count in each person's load and calendar.
    Raises ``PlanError`` for a role without people and ``InputError`` for a bad ``to``.
    """
    from luckyctl.graph import build_graph, waves

    selected = list(dict.fromkeys(task_ids))
    teams = _teams(roadmap, plan, selected)
    if to is not None:
        _check_forced(to, plan, teams)
    load, busy, ready, previous = _existing(roadmap, existing, set(selected), start_day)
    graph = build_graph(roadmap, selected)
    groups = waves(graph) if wave_mode else [selected]
    wave_of = {task_id: index for index, group in enumerate(groups, 1) for task_id in group}
    existing_load = {person: load[person] for people in teams.values() for person in people}
    chosen = _choose(roadmap, teams, groups, load, to, spread=wave_mode)

    span = _schedule(roadmap, graph, groups, chosen, busy, ready)

    calendar = ProjectCalendar.of(roadmap.project)
    assignments = []
    for task_id in selected:
        task = roadmap.tasks[task_id]
        first, last = day_span(start_day, *span[task_id])
        assignments.append(
            Assignment(
                task_id=task_id,
                title=task.title,
                role=task.owner,
                assignee=chosen[task_id],
                previous_assignee=previous.get(task_id),
                estimate_hours=task.estimate,
                wave=wave_of[task_id] if wave_mode else None,
                start_hour=span[task_id][0],
                end_hour=span[task_id][1],
                planned_start_day=first,
                planned_end_day=last,
                planned_start_date=calendar.date_of(first).isoformat(),
                planned_end_date=calendar.date_of(last).isoformat(),
            )
        )
    people = [
        PersonLoad(
            assignee=person,
            role=role,
            task_ids=[task_id for task_id in selected if chosen[task_id] == person],
            hours=sum(roadmap.tasks[task_id].estimate for task_id in selected if chosen[task_id] == person),
            existing_hours=existing_load[person],
        )
        for role, members in teams.items()
        for person in members
    ]
    return Delegation(assignments, people, wave_mode, len(groups) if wave_mode else 0, start_day)
